// Types for the image codecs, which ship without declarations. Only what decode.ts uses.

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** Decodes a JPEG lossless (process 14) stream; numBytes is the sample width (1 or 2). */
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  interface FrameInfo { width: number; height: number; bitsPerSample: number; componentCount: number }
  interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  const factory: () => Promise<{ JpegLSDecoder: new () => JpegLSDecoder }>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  interface FrameInfo { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }
  interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  /** `print` receives what the library writes to stdout (OpenJPEG's [INFO] lines). */
  const factory: (module?: { print?: (text: string) => void }) => Promise<{ J2KDecoder: new () => J2KDecoder }>;
  export default factory;
}
