// krazy-tui's own known_hosts in OpenSSH's format: look up, remember and forget device host keys, hashed entries included.
import {createHash, createHmac, randomBytes} from 'node:crypto';
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises';
import path from 'node:path';

/** What the file says about a host key the device showed. */
export type HostKeyVerdict =
	| {status: 'known'}
	| {status: 'unknown'}
	/** The host is in the file with other keys only (or the shown key is marked @revoked): never trust it silently. */
	| {status: 'changed'; knownFingerprints: string[]; lines: number[]; revoked: boolean};

/** What a person is shown before a key is remembered. */
export type HostKeyInfo = {
	/** The name as the file writes it: `host` for port 22, `[host]:port` otherwise. */
	hostName: string;
	keyType: string;
	/** `SHA256:…` as OpenSSH prints it. */
	fingerprint: string;
	/** The file the key is remembered in. */
	file: string;
};

type Entry = {
	line: number;
	marker: '' | 'revoked' | 'cert-authority';
	hosts: string;
	keyType: string;
	key: Buffer;
};

/** The known_hosts file lives in the config dir of krazy-tui; the caller (the CLI) decides which. */
export function knownHostsPath(configDir: string): string {
	return path.join(configDir, 'known_hosts');
}

/** `host` for port 22, `[host]:port` otherwise: how OpenSSH names a host in known_hosts. */
export function knownHostName(host: string, port: number): string {
	const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
	return port === 22 ? bare : `[${bare}]:${port}`;
}

/** Parses `host`, `[host]:port` or `host:port` (a single colon only, so bare IPv6 stays a host). */
export function parseHostPort(text: string): {host: string; port: number} {
	const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(text);
	if (bracketed) {
		return {host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : 22};
	}

	const colon = text.indexOf(':');
	if (colon !== -1 && colon === text.lastIndexOf(':') && /^\d+$/.test(text.slice(colon + 1))) {
		return {host: text.slice(0, colon), port: Number(text.slice(colon + 1))};
	}

	return {host: text, port: 22};
}

/** `SHA256:…` without padding, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
	return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob (`ssh-ed25519`, …). */
export function keyTypeOf(key: Buffer): string {
	if (key.length < 4) {
		return 'unknown';
	}

	const length = key.readUInt32BE(0);
	return key.subarray(4, 4 + length).toString('latin1');
}

function wildcardToRegExp(pattern: string): RegExp {
	const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
	return new RegExp(`^${escaped}$`, 'i');
}

/** Does one host field (comma list, wildcards, `!negation`, or `|1|salt|hash`) name this host? */
function hostFieldMatches(field: string, name: string): boolean {
	if (field.startsWith('|1|')) {
		const [, , salt, hash] = field.split('|');
		if (!salt || !hash) {
			return false;
		}

		const computed = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
		return computed === hash;
	}

	let matched = false;
	for (const pattern of field.split(',')) {
		if (pattern.startsWith('!')) {
			if (wildcardToRegExp(pattern.slice(1)).test(name)) {
				return false;
			}
		} else if (wildcardToRegExp(pattern).test(name)) {
			matched = true;
		}
	}

	return matched;
}

function parseEntries(text: string): Entry[] {
	const entries: Entry[] = [];
	const lines = text.split('\n');
	for (const [index, raw] of lines.entries()) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) {
			continue;
		}

		const fields = line.split(/\s+/);
		let marker: Entry['marker'] = '';
		if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
			marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
			fields.shift();
		}

		const [hosts, keyType, keyBase64] = fields;
		if (!hosts || !keyType || !keyBase64) {
			continue;
		}

		entries.push({line: index + 1, marker, hosts, keyType, key: Buffer.from(keyBase64, 'base64')});
	}

	return entries;
}

/** One known_hosts file; read afresh on every call, so other tools (ssh-keygen -R) may edit it in between. */
export class KnownHosts {
	constructor(readonly file: string) {}

	async verify(host: string, port: number, key: Buffer): Promise<HostKeyVerdict> {
		const name = knownHostName(host, port);
		const all = await this.entries();
		const entries = all.filter(entry => entry.marker !== 'cert-authority' && hostFieldMatches(entry.hosts, name));
		const revoked = all.some(entry => entry.marker === 'revoked' && entry.key.equals(key));
		const same = entries.filter(entry => entry.marker === '' && entry.key.equals(key));
		if (!revoked && same.length > 0) {
			return {status: 'known'};
		}

		const others = entries.filter(entry => entry.marker === '' && !entry.key.equals(key));
		if (revoked || others.length > 0) {
			return {
				status: 'changed',
				knownFingerprints: others.map(entry => `${entry.keyType} ${fingerprint(entry.key)}`),
				lines: others.map(entry => entry.line),
				revoked,
			};
		}

		return {status: 'unknown'};
	}

	/** Appends `name type base64`; hashed (`|1|salt|hash`) when asked, as HashKnownHosts does. */
	async add(host: string, port: number, key: Buffer, options: {hashed?: boolean} = {}): Promise<void> {
		const name = knownHostName(host, port);
		let hostField = name;
		if (options.hashed) {
			const salt = randomBytes(20);
			hostField = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
		}

		const current = await this.read();
		const separator = current === '' || current.endsWith('\n') ? '' : '\n';
		await this.write(`${current}${separator}${hostField} ${keyTypeOf(key)} ${key.toString('base64')}\n`);
	}

	/** Forgets every key of that host (plain, pattern-list and hashed lines, not @revoked or @cert-authority ones), as `ssh-keygen -R` does; returns how many lines went. */
	async remove(host: string, port: number): Promise<number> {
		const name = knownHostName(host, port);
		const current = await this.read();
		if (current === '') {
			return 0;
		}

		let removed = 0;
		const kept = current.split('\n').filter(raw => {
			const fields = raw.trim().split(/\s+/);
			// @revoked and @cert-authority lines stay, as with ssh-keygen -R: forgetting a host must not un-revoke a key.
			if (fields[0]?.startsWith('@')) {
				return true;
			}

			const hosts = fields[0];
			if (!hosts || hosts.startsWith('#') || fields.length < 3) {
				return true;
			}

			// Exact names only, not wildcards: forgetting `casa` must not drop a `*.lan` line someone wrote by hand.
			if (hosts.startsWith('|1|') ? hostFieldMatches(hosts, name) : hosts.split(',').some(pattern => pattern.toLowerCase() === name.toLowerCase())) {
				removed++;
				return false;
			}

			return true;
		});
		if (removed > 0) {
			await this.write(kept.join('\n'));
		}

		return removed;
	}

	private async entries(): Promise<Entry[]> {
		return parseEntries(await this.read());
	}

	private async read(): Promise<string> {
		try {
			return await readFile(this.file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
				return '';
			}

			throw error;
		}
	}

	private async write(text: string): Promise<void> {
		await mkdir(path.dirname(this.file), {recursive: true, mode: 0o700});
		const temporary = `${this.file}.${process.pid}.tmp`;
		await writeFile(temporary, text, {mode: 0o600});
		await rename(temporary, this.file);
	}
}

/** The loud refusal for a changed key, with the commands that forget the old one. */
export function changedHostKeyMessage(info: HostKeyInfo, verdict: Extract<HostKeyVerdict, {status: 'changed'}>): string {
	const quoted = `'${info.hostName}'`;
	const lines = [
		'@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
		'@    WARNING: THE DEVICE\'S HOST KEY HAS CHANGED!          @',
		'@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
		verdict.revoked
			? `The key ${info.hostName} showed is marked @revoked in ${info.file}.`
			: `${info.hostName} now shows ${info.keyType} ${info.fingerprint},`,
	];
	if (!verdict.revoked) {
		lines.push(
			`but ${info.file} remembers ${verdict.knownFingerprints.join(', ')} (line ${verdict.lines.join(', ')}).`,
			'Someone could be intercepting the connection, or the device was reinstalled (a new /perm gets a new breakglass host key).',
		);
	}

	lines.push(
		'Refusing to connect. If you know why the key changed, forget the old one and try again:',
		`  krazy-tui shell --forget-host ${quoted}`,
		`  (or: ssh-keygen -R ${quoted} -f ${info.file})`,
	);
	return lines.join('\n');
}
