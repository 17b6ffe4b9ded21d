// A new ed25519 key pair in OpenSSH's formats, from ssh2's generator, which drops the leading zero bytes of a public key
// that starts with one (mscdex/ssh2#1390, #1513, open): about 1 pair in 256 then has a 31-byte key that neither ssh2
// nor OpenSSH reads ("Malformed OpenSSH private key", ssh-keygen: "error in libcrypto"). Such a pair is never handed out.
import ssh2 from 'ssh2';

export type KeyPair = {private: string; public: string};

/** Whether both halves parse (ssh2's parser holds a public key to its 32 bytes). */
export function keyPairParses(pair: KeyPair): boolean {
	return !(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error);
}

/** A pair both halves of which parse; a new one is made until one does (1 in 256 needs a second). */
export function ed25519KeyPair(comment: string, generate: (comment: string) => KeyPair = text => ssh2.utils.generateKeyPairSync('ed25519', {comment: text})): KeyPair {
	for (let attempt = 0; attempt < 32; attempt++) {
		const pair = generate(comment);
		if (keyPairParses(pair)) {
			return pair;
		}
	}

	throw new Error('could not make an ed25519 key pair that parses (32 attempts)');
}
