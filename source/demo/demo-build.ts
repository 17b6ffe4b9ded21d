// A demo device's "build": the root.img format (a manifest of services instead of a squashfs), boot.img (a padded cmdline.txt), its SBOM, and gaf archives of them.
import {createHash} from 'node:crypto';
import {createWriteStream, existsSync} from 'node:fs';
import {open, rename, rm} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';
import yazl from 'yazl';
import type {ServiceSpec} from './supervisor.js';

/** Programs a pushed build may add beyond the ones every demo device has. */
export const demoBuildPrograms = ['hello', 'crashloop'] as const;
export type DemoBuildProgram = (typeof demoBuildPrograms)[number];

export type DemoBuildService = {
	path: string;
	/** Absent: the program this demo device runs at `path` anyway. */
	program?: DemoBuildProgram;
};

export type DemoBuild = {
	buildTimestamp: string;
	sbomHash: string;
	/** GOARCH the build is for; the demo refuses to boot another. */
	arch: string;
	services: DemoBuildService[];
};

/** gok's SBOMWithHash, as sbom.json in a gaf holds it. */
export type DemoSbom = {
	sbom_hash: string;
	sbom: {
		config_hash: {path: string; hash: string};
		go_mod_hashes: Array<{path: string; hash: string}>;
		extra_file_hashes: Array<{path: string; hash: string}>;
	};
};

const rootMagic = 'KRAZY-TUI-DEMO-ROOT/1\n';
/** The last bytes of a complete root image: a push cut short lacks them, as a cut squashfs lacks its tables. */
const rootTrailer = Buffer.from('\nKRAZY-TUI-DEMO-ROOT/1 END\n'.padStart(32, ' '), 'latin1');
/** The manifest must fit here; the boot reads no further for it. */
export const rootHeadBytes = 64 * 1024;
const bootMagic = 'KRAZY-TUI-DEMO-BOOT/1';
/** Where cmdline.txt starts inside boot.img. */
export const cmdlineOffset = 512;
/** gok's write.go appends 64 spaces after the line, room for in-place rewrites (testboot's flag takes 28). */
const cmdlinePadding = 64;
export const bootImageBytes = 64 * 1024;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A root image: header line, manifest line, zeros (sparse where the file system allows), trailer at `size`. */
export async function writeRootImage(file: string, build: DemoBuild, requestedSize?: number): Promise<void> {
	// The manifest names the size, so it is measured with a placeholder of the same width first.
	const measure = (size: number) => Buffer.byteLength(`${rootMagic}${JSON.stringify({...build, size})}\n`);
	const size = requestedSize ?? Math.ceil((measure(2 ** 40) + rootTrailer.length) / 4096) * 4096;
	const head = Buffer.from(`${rootMagic}${JSON.stringify({...build, size})}\n`, 'utf8');
	if (head.length > rootHeadBytes || size < head.length + rootTrailer.length) {
		throw new Error(`demo root image: ${size} bytes cannot hold the manifest (${head.length} bytes)`);
	}

	const handle = await open(file, 'w');
	try {
		await handle.write(head, 0, head.length, 0);
		await handle.write(rootTrailer, 0, rootTrailer.length, size - rootTrailer.length);
	} finally {
		await handle.close();
	}
}

export type RootRead = {ok: true; build: DemoBuild; size: number} | {ok: false; reason: string};

/** What a partition (or a root.img) holds: a bootable demo build, or why not. */
export async function readRootImage(file: string): Promise<RootRead> {
	let handle;
	try {
		handle = await open(file, 'r');
	} catch (error) {
		return {ok: false, reason: `cannot open: ${(error as Error).message}`};
	}

	try {
		const head = Buffer.alloc(rootHeadBytes);
		const {bytesRead} = await handle.read(head, 0, head.length, 0);
		const manifest = parseRootHead(head.subarray(0, bytesRead));
		if (!manifest.ok) {
			return manifest;
		}

		const trailer = Buffer.alloc(rootTrailer.length);
		const tail = await handle.read(trailer, 0, trailer.length, manifest.size - trailer.length);
		if (tail.bytesRead !== trailer.length || !trailer.equals(rootTrailer)) {
			return {ok: false, reason: 'the root file system is incomplete (its end is missing)'};
		}

		return manifest;
	} finally {
		await handle.close();
	}
}

/** The manifest from the first bytes of a root image; also how a client recognises a demo root.img. */
export function parseRootHead(head: Buffer): RootRead {
	if (!head.subarray(0, rootMagic.length).equals(Buffer.from(rootMagic, 'latin1'))) {
		return {ok: false, reason: 'no root file system (nothing bootable)'};
	}

	const end = head.indexOf(0x0a, rootMagic.length);
	if (end === -1) {
		return {ok: false, reason: 'the root file system header is cut off'};
	}

	let value: unknown;
	try {
		value = JSON.parse(head.subarray(rootMagic.length, end).toString('utf8'));
	} catch {
		return {ok: false, reason: 'the root file system header is not JSON'};
	}

	const build = value as Partial<DemoBuild> & {size?: unknown};
	const services = Array.isArray(build.services) ? build.services : undefined;
	if (
		typeof build.buildTimestamp !== 'string' || typeof build.sbomHash !== 'string' || typeof build.arch !== 'string'
		|| typeof build.size !== 'number' || !Number.isSafeInteger(build.size) || build.size < end
		|| !services?.every(service => typeof service?.path === 'string' && (service.program === undefined || demoBuildPrograms.includes(service.program)))
	) {
		return {ok: false, reason: 'the root file system header has an unexpected shape'};
	}

	return {
		ok: true,
		size: build.size,
		build: {
			buildTimestamp: build.buildTimestamp,
			sbomHash: build.sbomHash,
			arch: build.arch,
			services: services.map(service => (service.program === undefined ? {path: service.path} : {path: service.path, program: service.program})),
		},
	};
}

/** The kernel command line gok writes, naming root partition `partition` of disk `diskId`. */
export function demoCmdline(diskId: string, partition: number): string {
	return `console=ttyS0,115200 console=tty1 root=PARTUUID=${diskId}-0${partition} init=/gokrazy/init rootwait panic=10 oops=panic`;
}

/** boot.img: a header naming where cmdline.txt lies and the size the FAT records for it, then the line, a newline and gok's padding. */
export function bootImage(cmdline: string): Buffer {
	const image = Buffer.alloc(bootImageBytes);
	const file = `${cmdline}\n${' '.repeat(cmdlinePadding)}`;
	image.write(`${bootMagic} cmdline.txt@${cmdlineOffset}+${file.length}\n`, 0, 'latin1');
	image.write(file, cmdlineOffset, 'latin1');
	return image;
}

/** Where cmdline.txt lies in a boot partition, as the FAT would say; undefined when it holds none. */
export function cmdlineExtent(head: Buffer): {offset: number; length: number} | undefined {
	const match = /^KRAZY-TUI-DEMO-BOOT\/1 cmdline\.txt@(\d+)\+(\d+)\n/.exec(head.subarray(0, 128).toString('latin1'));
	if (!match) {
		return undefined;
	}

	const offset = Number(match[1]);
	const length = Number(match[2]);
	return offset + length <= head.length && length > 0 ? {offset, length} : undefined;
}

/** A 512-byte MBR: boot code area, an empty partition table and the 0x55AA signature. */
export function mbrImage(diskId: string): Buffer {
	const mbr = Buffer.alloc(512);
	mbr.write(`krazy-tui demo boot code for disk ${diskId}`, 0, 'latin1');
	mbr.writeUInt32LE(Number.parseInt(diskId, 16) >>> 0, 440);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	return mbr;
}

/** The Go package behind each demo service, for the SBOM's go.mod list. */
const packageOf: Record<string, string> = {
	'/gokrazy/dhcp': 'github.com/gokrazy/gokrazy/cmd/dhcp',
	'/gokrazy/ntp': 'github.com/gokrazy/gokrazy/cmd/ntp',
	'/gokrazy/heartbeat': 'github.com/gokrazy/gokrazy/cmd/heartbeat',
	'/gokrazy/randomd': 'github.com/gokrazy/gokrazy/cmd/randomd',
	'/user/golink': 'github.com/tailscale/golink/cmd/golink',
	'/user/breakglass': 'github.com/gokrazy/breakglass',
	'/user/hello': 'github.com/gokrazy/hello',
};

export function packageForService(path: string): string {
	return packageOf[path] ?? `example.com/krazy-demo/${path.split('/').pop() ?? 'service'}`;
}

/**
 * gok's GenerateSBOM for the demo instance: one go.mod per package (the kernel and firmware too), sorted by path;
 * sbom_hash is the SHA-256 of the indented SBOM plus a newline, as gok computes it. A service built from another
 * program (the crash-looping golink) has another go.mod, as a new version of the module would.
 */
export function demoSbom(services: readonly DemoBuildService[], hostname: string): DemoSbom {
	const instanceDir = `/home/demo/gokrazy/${hostname}`;
	const modules = [
		...services.map(service => ({pkg: packageForService(service.path), variant: service.program ?? 'stock'})),
		{pkg: 'github.com/gokrazy/kernel.rpi', variant: 'stock'},
		{pkg: 'github.com/gokrazy/firmware', variant: 'stock'},
	];
	const goModHashes = modules
		.map(({pkg, variant}) => ({path: `${instanceDir}/builddir/${pkg}/go.mod`, hash: sha256(`module ${pkg}\n// ${variant}\n`)}))
		.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	const sbom = {
		config_hash: {path: `${instanceDir}/config.json`, hash: sha256(JSON.stringify({Hostname: hostname, Packages: modules.map(module => module.pkg)}))},
		go_mod_hashes: goModHashes,
		extra_file_hashes: [],
	};
	return {sbom_hash: sha256(`${JSON.stringify(sbom, null, 4)}\n`), sbom};
}

/** gok's marshalled form of sbom.json. */
export function sbomJson(sbom: DemoSbom): string {
	return `${JSON.stringify(sbom, null, 4)}\n`;
}

export type ArchiveParts = {
	mbr: Buffer;
	boot: Buffer;
	/** A file: root images can be large. */
	rootFile: string;
	sbom: string;
};

/** A gaf as gok's writeGafArchive makes it: an uncompressed zip, entries in filepath.Walk's (lexical) order. */
export async function writeGaf(file: string, parts: ArchiveParts): Promise<void> {
	const zip = new yazl.ZipFile();
	const options = {compress: false, mtime: new Date(), mode: 0o100644};
	zip.addBuffer(parts.boot, 'boot.img', options);
	zip.addBuffer(parts.mbr, 'mbr.img', options);
	zip.addFile(parts.rootFile, 'root.img', options);
	zip.addBuffer(Buffer.from(parts.sbom, 'utf8'), 'sbom.json', options);
	zip.end();
	const temporary = `${file}.partial`;
	await new Promise<void>((resolve, reject) => {
		const out = createWriteStream(temporary);
		out.on('error', reject);
		zip.outputStream.on('error', reject);
		out.on('close', resolve);
		zip.outputStream.pipe(out);
	});
	await rename(temporary, file);
}

export type BuildArchiveOptions = {
	file: string;
	build: Omit<DemoBuild, 'sbomHash'>;
	hostname: string;
	diskId: string;
	/** Size of root.img; default: what the manifest needs, in 4 KiB blocks. */
	rootBytes?: number;
};

/** A complete demo gaf for `build`; returns the build as the device will report it (with its SBOM hash). */
export async function writeDemoArchive(options: BuildArchiveOptions): Promise<DemoBuild> {
	const sbom = demoSbom(options.build.services, options.hostname);
	const build: DemoBuild = {...options.build, sbomHash: sbom.sbom_hash};
	const rootFile = `${options.file}.root.img`;
	try {
		await writeRootImage(rootFile, build, options.rootBytes);
		await writeGaf(options.file, {
			mbr: mbrImage(options.diskId),
			boot: bootImage(demoCmdline(options.diskId, 2)),
			rootFile,
			sbom: sbomJson(sbom),
		});
	} finally {
		await rm(rootFile, {force: true});
	}

	return build;
}

const programsDir = fileURLToPath(new URL('programs/', import.meta.url));
/** hello waits with bash's `read -t`, which forks nothing. */
const bash = ['/bin/bash', '/usr/bin/bash'].find(candidate => existsSync(candidate)) ?? 'bash';

/** What the supervisor runs for a build: stock services as this device has them, added programs from ./programs. */
export function specsForBuild(build: DemoBuild, stock: readonly ServiceSpec[]): ServiceSpec[] {
	return build.services.flatMap((service): ServiceSpec[] => {
		if (service.program !== undefined) {
			const shell = service.program === 'hello' ? bash : '/bin/sh';
			return [{path: service.path, args: [service.path], command: shell, commandArgs: [`${programsDir}${service.program}.sh`, service.path]}];
		}

		const spec = stock.find(candidate => candidate.path === service.path);
		return spec ? [spec] : [];
	});
}

/** The build a fresh demo card holds: the services this device runs, stamped now. */
export function firstDemoBuild(servicePaths: readonly string[], hostname: string, buildTimestamp: string, arch: string): DemoBuild {
	const services = servicePaths.map(path => ({path}));
	return {buildTimestamp, sbomHash: demoSbom(services, hostname).sbom_hash, arch, services};
}
