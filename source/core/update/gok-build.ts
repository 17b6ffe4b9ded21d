// Runs the user's own gok: `gok overwrite --gaf` to build an instance's archive (output streamed, cancellable) and `gok sbom --format hash`.
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {rm, stat} from 'node:fs/promises';
import path from 'node:path';
import type {DeviceTarget} from '../device-target.js';

/** Where a gok instance lives: gok runs with `-i INSTANCE --parent_dir PARENT`, from inside PARENT. */
export type GokInstance = {instance: string; parentDir: string; configPath: string};

/** gok failed or is missing: the message is one line, `lastLines` what gok said last. */
export class GokError extends Error {
	override readonly name = 'GokError';
	constructor(message: string, readonly lastLines: string[] = [], readonly missing = false) {
		super(message);
	}
}

/** The gok instance a target came from, or undefined for saved devices and URLs. */
export function gokInstanceOf(target: DeviceTarget): GokInstance | undefined {
	if (target.source !== 'gok' || !target.origin) {
		return undefined;
	}

	const instanceDir = path.dirname(target.origin);
	return {instance: path.basename(instanceDir), parentDir: path.dirname(instanceDir), configPath: target.origin};
}

export type GokRunOptions = {
	/** The gok command; default "gok" from PATH. */
	gok?: string;
	env?: NodeJS.ProcessEnv;
	signal?: AbortSignal;
	/** Each line gok prints, as it prints it (passwords replaced by ***). */
	onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
	/** Strings never to pass on (the device password: gok prints it in the URL at the end of a build). */
	secrets?: string[];
};

/** gok's closing "http://gokrazy:PASSWORD@host/" and any other known secret, as ***. */
export function redactGokLine(line: string, secrets: readonly string[] = []): string {
	let out = line.replace(/([a-z][a-z\d+.-]*:\/\/[^\s/:@]*:)[^\s@/]*@/gi, '$1***@');
	for (const secret of secrets) {
		if (secret.length >= 4) {
			out = out.replaceAll(secret, '***');
		}
	}

	return out;
}

const keptLines = 12;

/** Runs gok to its end; resolves with its stdout, rejects with a GokError (missing, failed, cancelled). */
function runGok(args: string[], cwd: string, what: string, options: GokRunOptions): Promise<string> {
	const command = options.gok ?? 'gok';
	return new Promise((resolve, reject) => {
		if (options.signal?.aborted) {
			reject(new GokError(`${what} cancelled`));
			return;
		}

		const child = spawn(command, args, {cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true});
		const last: string[] = [];
		let stdout = '';
		const partial = {stdout: '', stderr: ''};
		const take = (stream: 'stdout' | 'stderr', text: string) => {
			if (stream === 'stdout' && stdout.length < 1024 * 1024) {
				stdout += text;
			}

			const lines = (partial[stream] + text).split(/\r?\n|\r/);
			partial[stream] = lines.pop()!;
			for (const raw of lines) {
				const line = redactGokLine(raw, options.secrets);
				last.push(line);
				if (last.length > keptLines) {
					last.shift();
				}

				options.onLine?.(line, stream);
			}
		};

		child.stdout.setEncoding('utf8').on('data', (text: string) => take('stdout', text));
		child.stderr.setEncoding('utf8').on('data', (text: string) => take('stderr', text));
		let killTimer: NodeJS.Timeout | undefined;
		const onAbort = () => {
			// gok runs go build and friends: the whole process group goes.
			try {
				process.kill(-child.pid!, 'SIGTERM');
			} catch {
				// Already gone.
			}

			killTimer = setTimeout(() => {
				try {
					process.kill(-child.pid!, 'SIGKILL');
				} catch {
					// Already gone.
				}
			}, 3000);
		};

		options.signal?.addEventListener('abort', onAbort, {once: true});
		child.once('error', (error: NodeJS.ErrnoException) => {
			options.signal?.removeEventListener('abort', onAbort);
			reject(error.code === 'ENOENT'
				? new GokError(`gok is not installed (no "${command}" on PATH): install it (go install github.com/gokrazy/tools/cmd/gok@main) or give --gaf FILE`, [], true)
				: new GokError(`cannot run ${command}: ${error.message}`));
		});
		child.once('close', (code, signal) => {
			clearTimeout(killTimer);
			options.signal?.removeEventListener('abort', onAbort);
			for (const stream of ['stdout', 'stderr'] as const) {
				if (partial[stream] !== '') {
					take(stream, '\n');
				}
			}

			if (options.signal?.aborted) {
				reject(new GokError(`${what} cancelled`, last));
			} else if (code === 0) {
				resolve(stdout);
			} else {
				const said = last.filter(line => line.trim() !== '').at(-1) ?? '';
				reject(new GokError(`${what} failed (${signal ? `killed by ${signal}` : `exit status ${code}`})${said ? `: ${said.trim().slice(0, 300)}` : ''}`, last));
			}
		});
	});
}

/** `gok overwrite -i INSTANCE --parent_dir PARENT --gaf OUTPUT` in PARENT; a cancelled or failed build leaves no OUTPUT behind. */
export async function buildGaf(instance: GokInstance, output: string, options: GokRunOptions = {}): Promise<void> {
	const what = `gok overwrite --gaf for ${instance.instance}`;
	try {
		await runGok(['overwrite', '-i', instance.instance, '--parent_dir', instance.parentDir, '--gaf', output], instance.parentDir, what, options);
	} catch (error) {
		await rm(output, {force: true});
		throw error;
	}

	if (!existsSync(output)) {
		throw new GokError(`${what} finished but wrote no ${output}`);
	}
}

/** `gok sbom --format hash`: the SBOM hash of what the instance's config would build now. */
export async function gokSbomHash(instance: GokInstance, options: GokRunOptions = {}): Promise<string> {
	const stdout = await runGok(['sbom', '-i', instance.instance, '--parent_dir', instance.parentDir, '--format', 'hash'], instance.parentDir, `gok sbom for ${instance.instance}`, options);
	const hash = stdout.trim().split('\n').at(-1)?.trim() ?? '';
	if (!/^[0-9a-f]{64}$/.test(hash)) {
		throw new GokError(`gok sbom for ${instance.instance} printed no SBOM hash (${JSON.stringify(hash.slice(0, 80))})`);
	}

	return hash;
}

export type DriftMark = 'drifted' | 'current' | undefined;

/**
 * Whether a device runs what its gok config would build now, with `gok sbom --format hash` run at most once per
 * config change (and per `ttlMs`) and instance. No gok, a failing gok or an unknown device hash: no mark.
 */
export class DriftChecker {
	private readonly cache = new Map<string, {key: string; at: number; hash: Promise<string | undefined>}>();

	constructor(private readonly options: GokRunOptions & {ttlMs?: number} = {}) {}

	async configHash(instance: GokInstance): Promise<string | undefined> {
		let key: string;
		try {
			const info = await stat(instance.configPath);
			key = `${info.mtimeMs}:${info.size}`;
		} catch {
			return undefined;
		}

		const cached = this.cache.get(instance.configPath);
		const ttlMs = this.options.ttlMs ?? 300_000;
		if (cached && cached.key === key && Date.now() - cached.at < ttlMs) {
			return cached.hash;
		}

		const hash = gokSbomHash(instance, this.options).catch(() => undefined);
		this.cache.set(instance.configPath, {key, at: Date.now(), hash});
		return hash;
	}

	async mark(target: DeviceTarget, runningSbomHash: string): Promise<DriftMark> {
		const instance = gokInstanceOf(target);
		if (!instance || runningSbomHash === '') {
			return undefined;
		}

		const wanted = await this.configHash(instance);
		if (wanted === undefined) {
			return undefined;
		}

		return wanted === runningSbomHash ? 'current' : 'drifted';
	}
}
