import type { FormInstance } from 'antd';

/**
 * Clears the errors of the fields that just changed. Errors the API sent
 * (set with setFields) would otherwise stay under a field that has no
 * rules of its own until the next submit, even after it was corrected.
 */
export function clearChangedErrors(form: FormInstance, changed: object): void {
  const names: (string | number)[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    else names.push(path);
  };
  walk(changed, []);
  form.setFields(names.filter((n) => n.length > 0).map((name) => ({ name, errors: [] })));
}
