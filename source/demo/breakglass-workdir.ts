// The demo breakglass's working folder: named as Go's os.MkdirTemp names breakglass's, swept on restart, and .tar files unpacked into it.
import {randomInt} from 'node:crypto';
import {rmSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';

const prefix = 'breakglass';

/**
 * A fresh `breakglass<random uint32>` folder in `tmpDir`, as Go's os.MkdirTemp("", "breakglass") makes it on a device
 * (/tmp/breakglass2469310388). When `sweep` is set (the demo device's own /tmp), folders of earlier runs are removed
 * first: a breakglass killed by its supervisor cannot clean up after itself, but its next start can.
 */
export async function makeWorkDir(tmpDir: string, sweep: boolean): Promise<string> {
	await fs.mkdir(tmpDir, {recursive: true});
	if (sweep) {
		for (const name of await fs.readdir(tmpDir)) {
			if (/^breakglass\d+$/.test(name)) {
				await fs.rm(path.join(tmpDir, name), {recursive: true, force: true});
			}
		}
	}

	for (;;) {
		const candidate = path.join(tmpDir, `${prefix}${randomInt(0, 2 ** 32 - 1)}`);
		try {
			await fs.mkdir(candidate, {mode: 0o700});
			return candidate;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
				throw error;
			}
		}
	}
}

/** Removes the folder when the process ends, however it ends short of SIGKILL (the supervisor stops with SIGTERM first). */
export function removeOnExit(workDir: string, before: () => void = () => {}): void {
	const remove = () => {
		before();
		rmSync(workDir, {recursive: true, force: true});
	};

	process.once('exit', remove);
	for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
		process.once(signal, () => {
			remove();
			process.exit(128 + ({SIGTERM: 15, SIGINT: 2, SIGHUP: 1} as const)[signal]);
		});
	}
}

/** Go's archive/tar reading a stream that is not a tar: the first 512-byte block must carry a valid header checksum. */
export function tarHeaderError(firstBlock: Buffer): string | undefined {
	if (firstBlock.length === 0) {
		return undefined;
	}

	if (firstBlock.length < 512) {
		return 'unexpected EOF';
	}

	if (firstBlock.subarray(0, 512).every(byte => byte === 0)) {
		return undefined;
	}

	const field = firstBlock.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
	let sum = 0;
	for (let index = 0; index < 512; index++) {
		sum += index >= 148 && index < 156 ? 0x20 : firstBlock[index];
	}

	return /^[0-7]+$/.test(field) && Number.parseInt(field, 8) === sum ? undefined : 'archive/tar: invalid tar header';
}

/**
 * Unpacks a tar into the working folder as breakglass does (entries relative to it, their modes kept), logging each
 * entry. Unlike breakglass, entries that would land outside the folder (absolute, `..`) are kept inside: the demo
 * runs on the user's own machine.
 */
export async function unpackTar(file: string, workDir: string, log: (line: string) => void): Promise<void> {
	const handle = await fs.open(file, 'r');
	const head = Buffer.alloc(512);
	const {bytesRead} = await handle.read(head, 0, 512, 0).finally(() => handle.close());
	const headerError = tarHeaderError(head.subarray(0, bytesRead));
	if (headerError) {
		throw new Error(headerError);
	}

	await tar.x({
		file,
		cwd: workDir,
		strict: true,
		onReadEntry(entry) {
			log(`scp.go:73: extracting ${JSON.stringify(entry.path)}`);
		},
	});
}
