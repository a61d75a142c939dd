/**
 * One session's screen: an xterm.js Terminal with its fit and search addons,
 * drawn by the WebGL renderer when the browser has a GPU for it (DESIGN §3b),
 * else by xterm's DOM renderer, which is also what it falls back to when the
 * WebGL context is lost (a GPU reset, too many contexts).
 */
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebglAddon } from '@xterm/addon-webgl';
import { FramePacer } from './pacing';
import { Terminal } from '@xterm/xterm';
import { TERMINAL_FONT, terminalTheme } from './theme';

export type Renderer = 'webgl' | 'dom';

/** Software rasterisers a browser may run WebGL on when it has no usable GPU. */
const SOFTWARE_GL = /SwiftShader|llvmpipe|softpipe|Software|Basic Render/i;

/**
 * Whether the browser draws WebGL on a GPU. Without one it emulates WebGL
 * in software (SwiftShader, llvmpipe), where redrawing a full screen takes
 * hundreds of milliseconds a frame: a flood of output would freeze the
 * window, while the DOM renderer keeps up. Asked with the browser's own
 * flag (failIfMajorPerformanceCaveat, WebGL spec §5.2) and, as Chromium
 * still gives SwiftShader under it, the unmasked renderer's name
 * (WEBGL_debug_renderer_info).
 */
function hardwareWebgl(): boolean {
  try {
    const gl = document.createElement('canvas').getContext('webgl2', { failIfMajorPerformanceCaveat: true });
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return !SOFTWARE_GL.test(name);
  } catch {
    return false;
  }
}

export class Screen {
  readonly term: Terminal;
  readonly fit = new FitAddon();
  readonly search = new SearchAddon({ highlightLimit: 1000 });
  /** The session's output goes to the screen through it (an adaptive frame rate during floods). */
  readonly pacer: FramePacer;
  private webgl: WebglAddon | null = null;
  renderer: Renderer = 'dom';
  private readonly onRenderer: (r: Renderer) => void;

  constructor(opts: { dark: boolean; cols: number; rows: number; onRenderer: (r: Renderer) => void }) {
    this.term = new Terminal({
      cols: opts.cols,
      rows: opts.rows,
      fontFamily: TERMINAL_FONT,
      fontSize: 13,
      scrollback: 10_000,
      cursorBlink: true,
      theme: terminalTheme(opts.dark),
      // The search addon highlights every match with decorations, a proposed API.
      allowProposedApi: true,
    });
    this.term.loadAddon(this.fit);
    this.term.loadAddon(this.search);
    this.pacer = new FramePacer(this.term);
    this.onRenderer = opts.onRenderer;
  }

  /** Opens the screen in its element (which must have a size) and picks the renderer. */
  open(el: HTMLElement): void {
    this.term.open(el);
    if (!hardwareWebgl()) {
      this.onRenderer(this.renderer);
      return;
    }
    try {
      const webgl = new WebglAddon();
      webgl.onContextLoss(() => this.dropWebgl());
      // Throws when the browser has no WebGL2 (headless Chromium with --disable-gpu, some VMs).
      this.term.loadAddon(webgl);
      this.webgl = webgl;
      this.renderer = 'webgl';
    } catch {
      this.renderer = 'dom';
    }
    this.onRenderer(this.renderer);
  }

  private dropWebgl(): void {
    this.webgl?.dispose();
    this.webgl = null;
    this.renderer = 'dom';
    this.onRenderer('dom');
  }

  setDark(dark: boolean): void {
    this.term.options.theme = terminalTheme(dark);
  }

  setScreenReader(on: boolean): void {
    this.term.options.screenReaderMode = on;
  }

  /** Fits the screen to its element; false while the element has no size (not laid out yet). */
  refit(): boolean {
    const el = this.term.element?.parentElement;
    if (!el || el.clientWidth === 0 || el.clientHeight === 0) return false;
    this.fit.fit();
    return true;
  }

  dispose(): void {
    this.pacer.dispose();
    this.webgl?.dispose();
    this.term.dispose();
  }
}
