/**
 * The Content Security Policy for the renderer, in Electron and in the
 * headless host alike: nothing from any remote origin. antd's CSS-in-JS
 * injects <style> elements, hence 'unsafe-inline' for styles only.
 * 'self' covers the host's own ws:// origin (CSP3 §6.7.2.9).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
