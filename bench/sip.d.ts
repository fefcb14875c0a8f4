// Just enough typing for the npm `sip` package (0.0.6, no bundled types) used as the benchmark peer.
declare module 'sip' {
  interface SipPackageMessage {
    method?: string;
    uri?: string;
    status?: number;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    headers: Record<string, any>;
    content?: string;
  }
  const sip: {
    parse(s: string | Buffer): SipPackageMessage;
    stringify(m: SipPackageMessage): string;
  };
  export default sip;
}
