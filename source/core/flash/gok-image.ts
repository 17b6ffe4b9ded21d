// The gok source: lists the gok instances on this host and builds one into a full disk image with `gok overwrite --full`.
import {spawn} from 'node:child_process';
import {access, mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {gokParentDir} from '../gok-config.js';
import {FlashError} from './flash-error.js';
import {findProgram} from './program-path.js';

export type GokHost = {env: NodeJS.ProcessEnv; home: string};

/** Instance names: the folders of gok's parent folder that hold a config.json. */
export async function listGokInstances(host: GokHost): Promise<string[]> {
	const parent = gokParentDir(host);
	let entries: string[];
	try {
		entries = await readdir(parent);
	} catch {
		return [];
	}

	const found = await Promise.all(entries.filter(name => !name.startsWith('.')).sort().map(async name => {
		try {
			await access(path.join(parent, name, 'config.json'));
			return name;
		} catch {
			return undefined;
		}
	}));
	return found.filter((name): name is string => name !== undefined);
}

export type GokBuild = {
	imagePath: string;
	/** Removes the temporary image and its folder. */
	cleanup(): Promise<void>;
};

/** The arguments gok gets: `overwrite -i NAME --full FILE --target_storage_bytes SIZE`. */
export function gokOverwriteArgs(instance: string, imagePath: string, targetBytes: number): string[] {
	return ['overwrite', '-i', instance, '--full', imagePath, '--target_storage_bytes', String(targetBytes)];
}

/** Runs gok to build the instance's image for a card of `targetBytes`, handing each output line to `onOutput`. */
export async function buildGokImage(
	instance: string,
	targetBytes: number,
	options: {env: NodeJS.ProcessEnv; signal?: AbortSignal; onOutput?: (line: string) => void; tmpDir?: string},
): Promise<GokBuild> {
	const gok = await findProgram('gok', options.env);
	if (!gok) {
		throw new FlashError(instance, 'build', 'gok is not on PATH (go install github.com/gokrazy/tools/cmd/gok@latest)');
	}

	const dir = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'krazy-flash-'));
	const imagePath = path.join(dir, `${instance}.img`);
	const cleanup = () => rm(dir, {recursive: true, force: true});
	const lines: string[] = [];
	const code = await new Promise<number>(resolve => {
		const child = spawn(gok, gokOverwriteArgs(instance, imagePath, targetBytes), {env: options.env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal});
		let partial = '';
		const take = (data: Buffer) => {
			partial += data.toString('utf8');
			const parts = partial.split(/\r?\n/);
			partial = parts.pop() ?? '';
			for (const line of parts) {
				lines.push(line);
				options.onOutput?.(line);
			}
		};

		child.stdout.on('data', take);
		child.stderr.on('data', take);
		child.on('error', () => resolve(-1));
		child.on('close', exit => {
			if (partial) {
				lines.push(partial);
				options.onOutput?.(partial);
			}

			resolve(exit ?? -1);
		});
	});
	if (code !== 0) {
		await cleanup();
		if (options.signal?.aborted) {
			throw new FlashError(instance, 'cancelled', 'building the image was cancelled; nothing was written');
		}

		const last = lines.filter(line => line.trim() !== '').at(-1) ?? 'no output';
		throw new FlashError(instance, 'build', `gok overwrite failed (exit ${code}): ${last}`);
	}

	return {imagePath, cleanup};
}
