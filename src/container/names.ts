// Random container names in Docker's "adjective_surname" style, used when a
// create request gives no name.
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'agile', 'amazing', 'awesome', 'bold', 'brave', 'busy', 'calm', 'clever', 'cool',
  'crazy', 'determined', 'eager', 'ecstatic', 'elegant', 'epic', 'fervent', 'festive', 'focused', 'friendly',
  'gallant', 'gifted', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'laughing', 'loving', 'lucid',
  'magical', 'modest', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pensive', 'practical', 'quirky',
  'relaxed', 'romantic', 'serene', 'sharp', 'silly', 'stoic', 'sweet', 'tender', 'trusting', 'vibrant',
  'vigilant', 'wizardly', 'wonderful', 'youthful', 'zealous', 'zen',
];

// Scientists and engineers, as in Docker's name generator.
const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bell', 'bohr', 'booth',
  'brattain', 'cannon', 'carson', 'cerf', 'chandrasekhar', 'curie', 'darwin', 'dijkstra', 'einstein', 'euclid',
  'euler', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall', 'hamilton',
  'hawking', 'heisenberg', 'hopper', 'hypatia', 'johnson', 'kepler', 'knuth', 'lamport', 'liskov', 'lovelace',
  'maxwell', 'mccarthy', 'meitner', 'morse', 'newton', 'noether', 'pasteur', 'perlman', 'ritchie', 'shannon',
  'thompson', 'torvalds', 'turing', 'wilson', 'wozniak', 'yalow',
];

export function randomContainerName(isTaken: (name: string) => boolean): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
    const candidate = attempt < 10 ? name : `${name}${randomInt(10)}`;
    if (!isTaken(candidate)) return candidate;
  }
  return `berth_${randomInt(1_000_000_000)}`;
}

export const CONTAINER_NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
