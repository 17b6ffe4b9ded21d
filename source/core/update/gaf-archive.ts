// Reads a gaf (gok's uncompressed zip of mbr.img, boot.img, root.img, sbom.json) with yauzl, streaming each part from disk: nothing large is held in memory.
import {createReadStream} from 'node:fs';
import {Readable} from 'node:stream';
import yauzl from 'yauzl';
import {parseSbom, type Sbom} from './sbom.js';

/** A bad archive: the message names the file and the cause. */
export class GafError extends Error {
	override readonly name = 'GafError';
	constructor(readonly file: string, cause: string) {
		super(`${file}: ${cause}`);
	}
}

/** What root.img is, from its first bytes. */
export type RootKind =
	| {kind: 'squashfs'}
	/** The demo device's root format: a manifest line instead of a file system. */
	| {kind: 'demo'; arch: string; buildTimestamp: string; sbomHash: string};

export type GafSummary = {
	file: string;
	/** Bytes of each part, in the order they are pushed. */
	root: number;
	boot: number;
	mbr: number | undefined;
	/** device-specific/NAME entries (none in what gok writes today; pushed when present). */
	deviceSpecific: Array<{name: string; size: number}>;
	sbom: Sbom | undefined;
	rootKind: RootKind;
	/** GOARCH the archive is for, where its image or SBOM says so. */
	arch: string | undefined;
};

const maxSbomBytes = 8 * 1024 * 1024;
const rootHeadBytes = 64 * 1024;
const squashfsMagic = Buffer.from('hsqs', 'latin1');
const demoRootMagic = 'KRAZY-TUI-DEMO-ROOT/1\n';
/** Bigger reads than a stream's 16 KiB default: a 1 GB root streams at disk speed without a syscall per 16 KiB. */
const readChunkBytes = 1024 * 1024;

export class GafArchive {
	private constructor(
		readonly file: string,
		private readonly zip: yauzl.ZipFile,
		private readonly entries: Map<string, yauzl.Entry>,
	) {}

	/** Opens and lists the archive; a file that is not a zip, or is cut short, is a GafError. */
	static async open(file: string): Promise<GafArchive> {
		let zip: yauzl.ZipFile;
		try {
			zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
				yauzl.open(file, {lazyEntries: true, autoClose: false, validateEntrySizes: true}, (error, opened) => {
					if (error) {
						reject(error);
					} else {
						resolve(opened);
					}
				});
			});
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
				throw new GafError(file, `cannot read the archive (${code})`);
			}

			throw new GafError(file, `not a gaf archive: not a zip file, or cut short (${(error as Error).message})`);
		}

		const entries = new Map<string, yauzl.Entry>();
		try {
			await new Promise<void>((resolve, reject) => {
				zip.on('entry', (entry: yauzl.Entry) => {
					entries.set(entry.fileName, entry);
					zip.readEntry();
				});
				zip.once('end', resolve);
				zip.once('error', reject);
				zip.readEntry();
			});
		} catch (error) {
			zip.close();
			throw new GafError(file, `not a gaf archive: its zip directory is damaged (${(error as Error).message})`);
		}

		// Later failures come through the part streams; a late 'error' on the zip itself must not end the process.
		zip.on('error', () => undefined);
		return new GafArchive(file, zip, entries);
	}

	names(): string[] {
		return [...this.entries.keys()];
	}

	size(name: string): number | undefined {
		return this.entries.get(name)?.uncompressedSize;
	}

	/** The part's bytes as a stream straight from the file (stored entries) or through yauzl's inflater. */
	async stream(name: string): Promise<Readable> {
		const entry = this.entries.get(name);
		if (!entry) {
			throw new GafError(this.file, `no ${name} in the archive`);
		}

		try {
			if (entry.compressionMethod === 0 && !entry.isEncrypted()) {
				const {fileDataStart} = await this.zip.readLocalFileHeaderPromise(entry, {minimal: true});
				if (entry.compressedSize === 0) {
					return Readable.from([]);
				}

				return createReadStream(this.file, {start: fileDataStart, end: fileDataStart + entry.compressedSize - 1, highWaterMark: readChunkBytes});
			}

			return await this.zip.openReadStreamPromise(entry);
		} catch (error) {
			throw new GafError(this.file, `cannot read ${name} (${(error as Error).message})`);
		}
	}

	/** Where a stored (uncompressed) part lies in the file, so it can be read without a stream; undefined for others. */
	async range(name: string): Promise<{file: string; start: number; length: number} | undefined> {
		const entry = this.entries.get(name);
		if (!entry || entry.compressionMethod !== 0 || entry.isEncrypted()) {
			return undefined;
		}

		try {
			const {fileDataStart} = await this.zip.readLocalFileHeaderPromise(entry, {minimal: true});
			return {file: this.file, start: fileDataStart, length: entry.compressedSize};
		} catch (error) {
			throw new GafError(this.file, `cannot read ${name} (${(error as Error).message})`);
		}
	}

	/** At most `limit` bytes from the start of a part. */
	async head(name: string, limit: number): Promise<Buffer> {
		const stream = await this.stream(name);
		const chunks: Buffer[] = [];
		let size = 0;
		try {
			for await (const chunk of stream) {
				chunks.push(chunk as Buffer);
				size += (chunk as Buffer).length;
				if (size >= limit) {
					break;
				}
			}
		} catch (error) {
			throw new GafError(this.file, `cannot read ${name} (${(error as Error).message})`);
		} finally {
			stream.destroy();
		}

		return Buffer.concat(chunks).subarray(0, limit);
	}

	close(): void {
		this.zip.close();
	}
}

/** What a client needs to know before pushing: the parts and their sizes, the SBOM, the root's kind and architecture. */
export async function inspectGaf(archive: GafArchive): Promise<GafSummary> {
	const {file} = archive;
	const root = archive.size('root.img');
	const boot = archive.size('boot.img');
	if (root === undefined || boot === undefined) {
		const held = archive.names();
		throw new GafError(file, `not a gaf archive: ${root === undefined ? 'no root.img' : 'no boot.img'} inside (it holds ${held.length === 0 ? 'nothing' : held.slice(0, 8).join(', ')})`);
	}

	if (root === 0) {
		throw new GafError(file, 'root.img is empty');
	}

	let sbom: Sbom | undefined;
	const sbomSize = archive.size('sbom.json');
	if (sbomSize !== undefined) {
		if (sbomSize > maxSbomBytes) {
			throw new GafError(file, `sbom.json is ${sbomSize} bytes, more than an SBOM can be`);
		}

		const text = (await archive.head('sbom.json', maxSbomBytes)).toString('utf8');
		try {
			sbom = parseSbom(text);
		} catch (error) {
			throw new GafError(file, `sbom.json: ${(error as Error).message}`);
		}
	}

	const rootKind = classifyRoot(file, await archive.head('root.img', rootHeadBytes));
	const deviceSpecific = archive.names()
		.filter(name => name.startsWith('device-specific/') && !name.endsWith('/'))
		.map(name => ({name: name.slice('device-specific/'.length), size: archive.size(name)!}));
	return {
		file,
		root,
		boot,
		mbr: archive.size('mbr.img'),
		deviceSpecific,
		sbom,
		rootKind,
		arch: rootKind.kind === 'demo' ? rootKind.arch : sbom?.kernelArch,
	};
}

function classifyRoot(file: string, head: Buffer): RootKind {
	if (head.subarray(0, 4).equals(squashfsMagic)) {
		return {kind: 'squashfs'};
	}

	if (head.toString('latin1', 0, demoRootMagic.length) === demoRootMagic) {
		const end = head.indexOf(0x0a, demoRootMagic.length);
		try {
			const manifest = JSON.parse(head.toString('utf8', demoRootMagic.length, end === -1 ? undefined : end)) as Record<string, unknown>;
			if (typeof manifest.arch === 'string' && typeof manifest.buildTimestamp === 'string' && typeof manifest.sbomHash === 'string') {
				return {kind: 'demo', arch: manifest.arch, buildTimestamp: manifest.buildTimestamp, sbomHash: manifest.sbomHash};
			}
		} catch {
			// Not JSON: said below.
		}

		throw new GafError(file, 'root.img: a demo root whose header cannot be read');
	}

	throw new GafError(file, 'root.img is not a root file system (no squashfs superblock)');
}
