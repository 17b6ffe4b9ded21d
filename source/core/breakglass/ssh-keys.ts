// Client keys for breakglass: the SSH agent first, then the private keys beside ~/.ssh/id_*.pub, passphrases asked for on demand.
import {existsSync, statSync} from 'node:fs';
import {readdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';
import type {AnyAuthMethod, AuthenticationType, NextAuthHandler, ParsedKey} from 'ssh2';

const {utils} = ssh2;

/** Asks for the passphrase of an encrypted key; rejecting (or resolving with '') skips that key. */
export type AskPassphrase = (keyPath: string) => Promise<string>;

/** ssh2 takes `false` for "no more methods to try"; its type definitions do not say so. */
const noMoreMethods = false as unknown as AnyAuthMethod;

async function sshDirectoryNames(home: string): Promise<string[]> {
	try {
		return await readdir(path.join(home, '.ssh'));
	} catch {
		return [];
	}
}

/** Every ~/.ssh/id_*.pub, by name: the keys `gok new` puts into breakglass.authorized_keys. */
export async function publicKeyFiles(home: string): Promise<string[]> {
	const names = await sshDirectoryNames(home);
	return names.filter(name => name.startsWith('id_') && name.endsWith('.pub')).sort().map(name => path.join(home, '.ssh', name));
}

/** ssh's own order of preference for its default identities. */
const preferredOrder = ['id_ed25519', 'id_ecdsa', 'id_rsa', 'id_ed25519_sk', 'id_ecdsa_sk', 'id_dsa'];

/**
 * The private keys `gok new` authorised: each `~/.ssh/id_*.pub` whose private half sits beside it, in ssh's order of
 * preference, then the rest by name.
 */
export async function discoverIdentityFiles(home: string): Promise<string[]> {
	const directory = path.join(home, '.ssh');
	const names = await sshDirectoryNames(home);
	const privateNames = (await publicKeyFiles(home))
		.map(file => path.basename(file, '.pub'))
		.filter(name => names.includes(name));
	const rank = (name: string) => {
		const index = preferredOrder.indexOf(name);
		return index === -1 ? preferredOrder.length : index;
	};

	return privateNames.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map(name => path.join(directory, name));
}

/** The agent socket from the environment, when it names a socket that exists. */
export function agentSocketFrom(env: NodeJS.ProcessEnv): string | undefined {
	const socket = env.SSH_AUTH_SOCK;
	if (!socket) {
		return undefined;
	}

	try {
		return statSync(socket).isSocket() ? socket : undefined;
	} catch {
		return undefined;
	}
}

export type LoadedKey =
	| {ok: true; key: ParsedKey}
	| {ok: false; reason: string};

/** ssh2's parser says so in its message when a key needs a passphrase. */
export function isEncryptedKeyError(error: Error): boolean {
	return /encrypted .*no passphrase given/i.test(error.message);
}

/** Reads a private key; an encrypted one asks for its passphrase (three tries, as ssh gives). */
export async function loadPrivateKey(keyPath: string, askPassphrase?: AskPassphrase): Promise<LoadedKey> {
	let data: Buffer;
	try {
		data = await readFile(keyPath);
	} catch (error) {
		return {ok: false, reason: `cannot read ${keyPath}: ${(error as Error).message}`};
	}

	let parsed = parseFirst(data);
	if (!(parsed instanceof Error)) {
		return parsed.isPrivateKey() ? {ok: true, key: parsed} : {ok: false, reason: `${keyPath} is not a private key`};
	}

	if (!isEncryptedKeyError(parsed)) {
		return {ok: false, reason: `${keyPath}: ${parsed.message}`};
	}

	if (!askPassphrase) {
		return {ok: false, reason: `${keyPath} is encrypted and there is no terminal to ask for its passphrase`};
	}

	for (let attempt = 0; attempt < 3; attempt++) {
		let passphrase: string;
		try {
			passphrase = await askPassphrase(keyPath);
		} catch {
			return {ok: false, reason: `no passphrase given for ${keyPath}`};
		}

		if (passphrase === '') {
			return {ok: false, reason: `no passphrase given for ${keyPath}`};
		}

		parsed = parseFirst(data, passphrase);
		if (!(parsed instanceof Error)) {
			return {ok: true, key: parsed};
		}
	}

	return {ok: false, reason: `wrong passphrase for ${keyPath}`};
}

function parseFirst(data: Buffer, passphrase?: string): ParsedKey | Error {
	const parsed = utils.parseKey(data, passphrase) as ParsedKey | ParsedKey[] | Error;
	return Array.isArray(parsed) ? parsed[0] : parsed;
}

export type KeySources = {
	/** An ssh-agent socket (SSH_AUTH_SOCK), tried first. */
	agentSocket?: string;
	/** Private key files in the order to try them. */
	identityFiles: string[];
	askPassphrase?: AskPassphrase;
};

/** What authentication went through, for a message that says which keys were tried and why some were not. */
export type AuthAttempts = {
	offered: string[];
	skipped: string[];
};

/**
 * An ssh2 authHandler trying the agent, then each key file, loading (and unlocking) a file only when its turn comes, so
 * nobody is asked for a passphrase once the agent got in.
 */
export function createAuthHandler(sources: KeySources, username: string, attempts: AuthAttempts) {
	const queue: Array<'agent' | string> = [];
	if (sources.agentSocket) {
		queue.push('agent');
	}

	queue.push(...sources.identityFiles);

	return (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
		if (methodsLeft !== null && !methodsLeft.includes('publickey')) {
			next(noMoreMethods);
			return;
		}

		void (async () => {
			while (queue.length > 0) {
				const source = queue.shift()!;
				if (source === 'agent') {
					attempts.offered.push(`the keys in the SSH agent (${sources.agentSocket})`);
					next({type: 'agent', username, agent: sources.agentSocket!});
					return;
				}

				if (!existsSync(source)) {
					attempts.skipped.push(`${source} does not exist`);
					continue;
				}

				const loaded = await loadPrivateKey(source, sources.askPassphrase);
				if (!loaded.ok) {
					attempts.skipped.push(loaded.reason);
					continue;
				}

				attempts.offered.push(source);
				next({type: 'publickey', username, key: loaded.key});
				return;
			}

			next(noMoreMethods);
		})();
	};
}
