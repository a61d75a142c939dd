/**
 * QR codes drawn here, as SVG, by the qrcode library (ISO/IEC 18004): no
 * network, no canvas, and crisp at any print size.
 */
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

export function qrSvg(text: string): Promise<string> {
  // Medium error correction survives a scuffed label and keeps the symbol small enough for a 70 × 37 mm label.
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
}

/** SVG markup of the QR codes of `texts`, in order; null until they are drawn. */
export function useQrSvgs(texts: readonly string[]): string[] | null {
  const key = texts.join('\n');
  const [drawn, setDrawn] = useState<{ key: string; svgs: string[] } | null>(null);
  useEffect(() => {
    let live = true;
    const list = key ? key.split('\n') : [];
    Promise.all(list.map(qrSvg)).then(
      (svgs) => live && setDrawn({ key, svgs }),
      (e: unknown) => console.error('QR code could not be drawn', e),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return drawn && drawn.key === key ? drawn.svgs : null;
}

/** A QR code as an image-like element; `svg` is markup the qrcode library made (no user markup). */
export function QrImage({ svg, size, label, testId }: { svg: string | null; size: number | string; label: string; testId?: string }) {
  return (
    <div
      role="img"
      aria-label={label}
      data-testid={testId}
      style={{ width: size, height: size, lineHeight: 0, background: '#fff' }}
      dangerouslySetInnerHTML={svg ? { __html: svg } : undefined}
    />
  );
}
