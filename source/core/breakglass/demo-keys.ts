// Keys for the demo device's breakglass: the user's own ~/.ssh/id_*.pub, or a key krazy-tui makes for the demo, so `b` just works.
import {existsSync} from 'node:fs';
import {mkdir, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {publicKeyFiles} from './ssh-keys.js';
import {ed25519KeyPair} from './key-pair.js';

export type DemoKeys = {
	/** The authorized_keys file to give the demo's breakglass. */
	authorizedKeysPath: string;
	/** Set when krazy-tui made its own demo key: the private key to connect with. */
	identityPath?: string;
};

/** Where krazy-tui keeps the key it makes for the demo; the shell tries it last when it exists. */
export function demoIdentityPath(configDir: string): string {
	return path.join(configDir, 'demo', 'id_ed25519');
}

/**
 * Writes the demo's authorized_keys: the user's ~/.ssh/id_*.pub (what `gok new` would authorise) when there are any, else
 * the public half of a demo key made once in the config dir.
 */
export async function prepareDemoKeys(options: {configDir: string; home: string}): Promise<DemoKeys> {
	const directory = path.join(options.configDir, 'demo');
	await mkdir(directory, {recursive: true, mode: 0o700});
	const authorizedKeysPath = path.join(directory, 'breakglass.authorized_keys');
	const userKeys = await readUserPublicKeys(options.home);
	if (userKeys.length > 0) {
		await writeFile(authorizedKeysPath, userKeys.map(key => `${key}\n`).join(''), {mode: 0o600});
		return {authorizedKeysPath};
	}

	const identityPath = demoIdentityPath(options.configDir);
	if (!existsSync(identityPath) || !existsSync(`${identityPath}.pub`)) {
		const pair = ed25519KeyPair('krazy-tui demo');
		await writeFile(identityPath, pair.private, {mode: 0o600});
		await writeFile(`${identityPath}.pub`, `${pair.public}\n`, {mode: 0o644});
	}

	const publicKey = (await readFile(`${identityPath}.pub`, 'utf8')).trim();
	await writeFile(authorizedKeysPath, `${publicKey}\n`, {mode: 0o600});
	return {authorizedKeysPath, identityPath};
}

async function readUserPublicKeys(home: string): Promise<string[]> {
	const keys: string[] = [];
	for (const file of await publicKeyFiles(home)) {
		const text = (await readFile(file, 'utf8').catch(() => '')).trim();
		if (/^(ssh-|ecdsa-|sk-)\S+ \S+/.test(text)) {
			keys.push(text);
		}
	}

	return keys;
}
