import { createDecipheriv, randomBytes, timingSafeEqual } from "node:crypto";
import { decrypt, encrypt, getSignature } from "@wecom/crypto";

/** What the callback needs to check and open WeCom's envelopes. */
export interface WecomCryptoOptions {
  token: string;
  /** The 43-character EncodingAESKey; AESKey = base64(EncodingAESKey + "="). */
  encodingAesKey: string;
  /** The id WeCom appends to every plaintext; "" for an enterprise's own intelligent bot. */
  receiveId: string;
}

/** Why a ciphertext was refused; none of them says anything about the key. */
export type OpenFailure = "malformed" | "receiveId";

/** The result of {@link WecomCrypto.open}. */
export type OpenResult = { ok: true; plaintext: string } | { ok: false; reason: OpenFailure };

/** A passive reply as WeCom expects it in the response body. */
export interface SealedReply {
  encrypt: string;
  msgsignature: string;
  timestamp: number;
  nonce: string;
}

/** WeCom's envelope crypto, bound to one bot's Token and EncodingAESKey. */
export interface WecomCrypto {
  /** Whether `signature` is SHA1 of the sorted token, timestamp, nonce and ciphertext; compared in constant time. */
  signatureMatches(signature: string, timestamp: string, nonce: string, ciphertext: string): boolean;
  /** Decrypts an `encrypt` field or `echostr`; refuses anything that is not exactly what WeCom's encryption produces. */
  open(ciphertext: string): OpenResult;
  /** Encrypts and signs a passive reply. */
  seal(plaintext: string, now?: Date): SealedReply;
  /** Decrypts a downloaded file (the image of an image message); `undefined` when it is not a valid ciphertext. */
  openFile(bytes: Buffer): Buffer | undefined;
}

/** WeCom pads plaintexts with PKCS#7 to a multiple of 32 bytes, not AES's 16. */
const PAD_BLOCK = 32;
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})+$|^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;
const HEX_SIGNATURE = /^[0-9a-f]{40}$/;

/**
 * Creates the crypto of one bot. Messages are opened and sealed with WeCom's
 * official `@wecom/crypto`. That package decrypts leniently (it ignores bad
 * padding and reads past a declared length that is too large), so `open`
 * accepts a plaintext only when sealing its parts again with the same random
 * reproduces the ciphertext byte for byte: any flipped bit, bad padding, wrong
 * length field or invalid UTF-8 is refused as `malformed`. Files have no
 * framing, so `openFile` uses node:crypto directly with the same key, IV and
 * 32-byte PKCS#7 padding, and checks the padding itself.
 */
export function createWecomCrypto(options: WecomCryptoOptions): WecomCrypto {
  const { token, encodingAesKey, receiveId } = options;
  const aesKey = Buffer.from(`${encodingAesKey}=`, "base64");
  if (aesKey.length !== 32) throw new RangeError("The EncodingAESKey does not decode to a 32-byte AES key");

  return {
    signatureMatches(signature, timestamp, nonce, ciphertext) {
      const given = signature.toLowerCase();
      if (!HEX_SIGNATURE.test(given)) return false;
      return timingSafeEqual(Buffer.from(getSignature(token, timestamp, nonce, ciphertext), "latin1"), Buffer.from(given, "latin1"));
    },

    open(ciphertext) {
      if (!CANONICAL_BASE64.test(ciphertext)) return { ok: false, reason: "malformed" };
      const length = Buffer.from(ciphertext, "base64").length;
      if (length === 0 || length % PAD_BLOCK !== 0) return { ok: false, reason: "malformed" };
      let opened: ReturnType<typeof decrypt>;
      try {
        opened = decrypt(encodingAesKey, ciphertext);
      } catch {
        return { ok: false, reason: "malformed" };
      }
      if (encrypt(encodingAesKey, opened.message, opened.id, opened.random) !== ciphertext) return { ok: false, reason: "malformed" };
      if (opened.id !== receiveId) return { ok: false, reason: "receiveId" };
      return { ok: true, plaintext: opened.message };
    },

    seal(plaintext, now = new Date()) {
      const timestamp = Math.floor(now.getTime() / 1000);
      const nonce = randomBytes(8).toString("hex");
      const sealed = encrypt(encodingAesKey, plaintext, receiveId);
      return { encrypt: sealed, msgsignature: getSignature(token, timestamp, nonce, sealed), timestamp, nonce };
    },

    openFile(bytes) {
      if (bytes.length === 0 || bytes.length % PAD_BLOCK !== 0) return undefined;
      const decipher = createDecipheriv("aes-256-cbc", aesKey, aesKey.subarray(0, 16));
      decipher.setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(bytes), decipher.final()]);
      const pad = plain[plain.length - 1] ?? 0;
      if (pad < 1 || pad > PAD_BLOCK || !plain.subarray(plain.length - pad).every((byte) => byte === pad)) return undefined;
      return plain.subarray(0, plain.length - pad);
    },
  };
}
