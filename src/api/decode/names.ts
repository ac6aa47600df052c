// Container names: Docker's restricted set, at least two characters, with an
// optional leading "/" that the API accepts and stores implicitly.
import { InvalidArgumentError } from '../../common/errors';

const NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

// Returns the name without its leading "/". Raises dockerd's 400 message for anything else.
export function validateContainerName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.replace(/^\//, '');
}
