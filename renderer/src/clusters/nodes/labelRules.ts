/**
 * The node label rule of the reference (Platform C, "Labels"), which is
 * Kubernetes' own: a name of letters, digits, "-", "_" and "." (at most 63,
 * starting and ending with a letter or digit) with an optional DNS-subdomain
 * prefix and "/"; a value empty or following the name's rule. Checked here
 * as the user types; the API checks it again, and refuses protected
 * kubernetes.io labels, which only it knows.
 */
const NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/** A DNS subdomain (RFC 1123): dot-separated labels, each alphanumeric at both ends ("a..b" and "a.-b" are not), at most 253. */
const PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type LabelProblem = 'keyRequired' | 'keyPrefix' | 'keyName' | 'value';

export function labelKeyProblem(key: string): LabelProblem | null {
  if (key === '') return 'keyRequired';
  const slash = key.indexOf('/');
  if (slash !== -1 && !PREFIX.test(key.slice(0, slash))) return 'keyPrefix';
  return NAME.test(slash === -1 ? key : key.slice(slash + 1)) ? null : 'keyName';
}

export function labelValueProblem(value: string): LabelProblem | null {
  return value === '' || NAME.test(value) ? null : 'value';
}
