import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { HashFileInputSchema, SettingsSchema } from '../../main/api/contract';
import { inputInvalid, toFieldIssues } from '../../main/api/validation';

describe('field-level validation errors', () => {
  it('renders each issue in English and Simplified Chinese with its field path', () => {
    const r = z.object({ nics: z.array(z.object({ port: z.number().int().min(1).max(65535) })) }).safeParse({ nics: [{ port: 1 }, { port: 70000 }] });
    expect(r.success).toBe(false);
    const [issue] = toFieldIssues(r.error!.issues);
    expect(issue).toMatchObject({ path: ['nics', 1, 'port'], issue: 'too_big' });
    expect(issue!.message.en).toContain('65535');
    expect(issue!.message.zh).toContain('65535');
    expect(issue!.message.zh).toMatch(/[\u4e00-\u9fff]/);
  });

  it('uses a domain message given as params on a refinement', () => {
    const schema = z.string().refine((s) => s.startsWith('/'), { params: { en: 'Give a full path.', zh: '请填写完整路径。' } });
    const r = schema.safeParse('x');
    expect(toFieldIssues(r.error!.issues)[0]!.message).toEqual({ en: 'Give a full path.', zh: '请填写完整路径。' });
  });

  it('names the first offending field in the error message', () => {
    const r = SettingsSchema.safeParse({ locale: 'fr', theme: 'dark' });
    const e = inputInvalid(r.error!.issues);
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.field).toEqual(['locale']);
    expect(e.text.en).toContain('"locale"');
    expect(e.text.zh).toContain('locale');
  });

  it('refuses a non-positive rate cap for the diagnostic job', () => {
    const r = HashFileInputSchema.safeParse({ path: '/x', rateLimitMiBps: 0 });
    expect(toFieldIssues(r.error!.issues)[0]!.path).toEqual(['rateLimitMiBps']);
  });
});
