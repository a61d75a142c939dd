// The part of zmodem.js 0.1.10 (no types of its own) that the serial upload uses; see its src/zsentry.js and src/zsession.js.
declare module 'zmodem.js' {
  export interface ZHeader {
    NAME: string;
    get_offset?(): number;
  }
  export interface OfferParameters {
    name: string;
    size?: number;
    /** Epoch seconds, or a Date. */
    mtime?: Date | number;
    mode?: number;
  }
  export interface Transfer {
    get_offset(): number;
    send(octets: Uint8Array | number[]): void;
    end(octets?: Uint8Array | number[]): Promise<void>;
  }
  export interface Session {
    type: 'send' | 'receive';
    on(event: 'receive', fn: (header: ZHeader) => void): Session;
    on(event: 'session_end' | 'garbage', fn: (...args: unknown[]) => void): Session;
    has_ended(): boolean;
    abort(): void;
  }
  export interface SendSession extends Session {
    type: 'send';
    send_offer(params: OfferParameters): Promise<Transfer | undefined>;
    close(): Promise<void>;
  }
  export interface Detection {
    confirm(): Session;
    deny(): void;
    get_session_role(): 'send' | 'receive';
  }
  export interface SentryOptions {
    to_terminal(octets: number[]): void;
    sender(octets: number[]): void;
    on_detect(detection: Detection): void;
    on_retract(): void;
  }
  export interface Sentry {
    consume(input: ArrayBuffer | Uint8Array | number[]): void;
    get_confirmed_session(): Session | null;
  }
  const Zmodem: {
    Sentry: new (options: SentryOptions) => Sentry;
    Session: { Send: { prototype: object } };
    DEBUG: boolean;
  };
  export default Zmodem;
}
