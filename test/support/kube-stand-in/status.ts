/**
 * metav1.Status errors, as kube-apiserver sends them
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/,
 * k8s.io/apimachinery/pkg/api/errors).
 */

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** `pods "x" not found`; `group` goes into details as errors.NewNotFound puts it. */
export const notFound = (plural: string, name: string, group = '') =>
  new StatusError(404, 'NotFound', `${plural}${group ? `.${group}` : ''} "${name}" not found`, { name, ...(group ? { group } : {}), kind: plural });
export const badRequest = (message: string) => new StatusError(400, 'BadRequest', message);
export const invalid = (kind: string, name: string, message: string, group = '') =>
  new StatusError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${message}`, { name, ...(group ? { group } : {}), kind });
