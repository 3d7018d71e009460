// Digest algorithms by name and the length of their hex form: formats that name a digest by its length
// (checksum-named files, sidecars) or check a stated digest's length read this one table.
export type DigestAlg = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const HEX_LENGTH: Readonly<Record<DigestAlg, number>> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };

const BY_LENGTH = new Map(Object.entries(HEX_LENGTH).map(([alg, n]) => [n, alg as DigestAlg]));
/** the algorithm whose hex digest has this many characters (each length names one) */
export const algOfHexLength = (n: number): DigestAlg | undefined => BY_LENGTH.get(n);
