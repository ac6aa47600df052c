// Parses Docker's --security-opt values. The CLI sends "seccomp=<profile
// JSON>" with the file's content, so a profile travels inside the option.
import { InvalidArgumentError } from '../../common/errors';
import { parseSeccompProfile, type SeccompProfile } from './seccomp';

export type SeccompChoice = { mode: 'default' } | { mode: 'unconfined' } | { mode: 'custom'; profile: SeccompProfile };

export interface SecurityOptions {
  noNewPrivileges: boolean;
  seccomp: SeccompChoice;
  // systempaths=unconfined: no masked or read-only /proc and /sys paths.
  systemPathsUnconfined: boolean;
}

// Splits "key=value" or the older "key:value" form at the first separator, because a profile's JSON contains both characters.
function splitOption(option: string): [string, string | null] {
  const equals = option.indexOf('=');
  const colon = option.indexOf(':');
  const positions = [equals, colon].filter((position) => position >= 0);
  if (positions.length === 0) return [option, null];
  const at = Math.min(...positions);
  return [option.slice(0, at), option.slice(at + 1)];
}

function parseBoolean(option: string, value: string | null): boolean {
  if (value === null || value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`invalid --security-opt "${option}": expected true or false after "${option.split(/[=:]/)[0]}"`);
}

export function parseSecurityOptions(options: readonly string[]): SecurityOptions {
  const result: SecurityOptions = { noNewPrivileges: false, seccomp: { mode: 'default' }, systemPathsUnconfined: false };
  for (const option of options) {
    const [key, value] = splitOption(option.trim());
    switch (key) {
      case 'no-new-privileges':
        result.noNewPrivileges = parseBoolean(option, value);
        break;
      case 'seccomp':
        result.seccomp = parseSeccompValue(option, value);
        break;
      case 'systempaths':
        if (value !== 'unconfined') throw new InvalidArgumentError(`invalid --security-opt "${option}": the only value for systempaths is unconfined`);
        result.systemPathsUnconfined = true;
        break;
      case 'apparmor':
      case 'label':
        // NOTE: accepted for compatibility and ignored: berthd applies no AppArmor or SELinux labels.
        break;
      default:
        throw new InvalidArgumentError(`invalid --security-opt: "${option}"`);
    }
  }
  return result;
}

function parseSeccompValue(option: string, value: string | null): SeccompChoice {
  if (value === null || value.trim() === '') throw new InvalidArgumentError(`invalid --security-opt "${option}": seccomp needs a profile or "unconfined"`);
  const trimmed = value.trim();
  if (trimmed === 'unconfined') return { mode: 'unconfined' };
  if (trimmed === 'builtin' || trimmed === 'default') return { mode: 'default' };
  if (!trimmed.startsWith('{')) {
    throw new InvalidArgumentError(`invalid --security-opt "seccomp=${trimmed}": expected "unconfined" or a profile's JSON content`);
  }
  return { mode: 'custom', profile: parseSeccompProfile(trimmed, 'given with --security-opt') };
}
