// The init's update endpoints (update.go) on the demo device: partitions as files, one lock per endpoint, the hash of what was written, switch and testboot in cmdline.txt, and the boot that picks a root partition.
import {createHash, type Hash} from 'node:crypto';
import {existsSync, mkdirSync} from 'node:fs';
import {open, truncate, writeFile} from 'node:fs/promises';
import type {IncomingMessage, ServerResponse} from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import {bootImage, cmdlineExtent, demoCmdline, mbrImage, readRootImage, writeRootImage, type DemoBuild} from './demo-build.js';
import {sendGo, sendGoError} from './go-http-response.js';

export type Partition = 2 | 3;

export type DemoUpdatesOptions = {
	/** The "card": head.img (the disk before partition 1), boot.img, root2.img, root3.img. */
	dir: string;
	/** The MBR disk identifier; PARTUUIDs are `<diskId>-0N`. */
	diskId: string;
	/** GOARCH the device runs; a build for another one does not boot. */
	arch: string;
	/** Default 500 MiB, as gokrazy's root partitions. */
	rootPartitionBytes?: number;
	/** Default 100 MiB. */
	bootPartitionBytes?: number;
	/** The disk before partition 1 (where PUT /update/mbr writes); default 4 MiB. */
	headBytes?: number;
	/** Slows every write to this rate (a Pi on Wi-Fi); default unlimited. */
	writeBytesPerSecond?: number;
};

export type BootOutcome =
	| {ok: true; build: DemoBuild; partition: Partition; testboot: boolean; fellBackBecause?: string}
	| {ok: false; reason: string};

const other = (partition: Partition): Partition => (partition === 2 ? 3 : 2);
const tryBootFlag = 'gokrazy.try_boot_inactive=1';
const rootArgument = /root=[^ ]+/;
const rootPartitionPattern = /root=(?:PARTUUID=[0-9a-fA-F]+-0([23])|\/dev\/(?:mmcblk0p|sda)([23]))(?:\s|$)/;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

type Destination = {file: string; device: string; offset: number; limit: number};

/** A running CRC-32 (IEEE) with the Hash interface's update/digest, for X-Gokrazy-Update-Hash: crc32. */
class Crc32 {
	private value = 0;
	update(data: Buffer): this {
		this.value = zlib.crc32(data, this.value);
		return this;
	}

	digest(): Buffer {
		const out = Buffer.alloc(4);
		out.writeUInt32BE(this.value >>> 0);
		return out;
	}
}

export class DemoUpdates {
	/** Tests slow pushes down to interrupt them; also settable while the device runs. */
	writeBytesPerSecond: number | undefined;
	/** The root partition cmdline.txt named when this boot began (rootdev reads /proc/cmdline). */
	private cmdlinePartition: Partition = 2;
	/** What this boot runs. */
	private booted: BootOutcome | undefined;
	private readonly locks = new Map<string, Promise<void>>();
	private readonly rootBytes: number;
	private readonly bootBytes: number;
	private readonly headBytes: number;

	constructor(private readonly options: DemoUpdatesOptions) {
		this.writeBytesPerSecond = options.writeBytesPerSecond;
		this.rootBytes = options.rootPartitionBytes ?? 500 * 1024 * 1024;
		this.bootBytes = options.bootPartitionBytes ?? 100 * 1024 * 1024;
		this.headBytes = options.headBytes ?? 4 * 1024 * 1024;
	}

	private file(name: string): string {
		return path.join(this.options.dir, name);
	}

	private rootFile(partition: Partition): string {
		return this.file(`root${partition}.img`);
	}

	/** The partition the update handlers write and switch names: fixed when the init starts, not a toggle. */
	get inactiveAtStart(): Partition {
		return other(this.cmdlinePartition);
	}

	get diskId(): string {
		return this.options.diskId;
	}

	get lastBoot(): BootOutcome | undefined {
		return this.booted;
	}

	/** A card that was never written gets the first build on partition 2, nothing on 3 (as a fresh flash). */
	async flashIfBlank(initial: DemoBuild): Promise<void> {
		if (existsSync(this.file('boot.img'))) {
			return;
		}

		mkdirSync(this.options.dir, {recursive: true});
		await writeFile(this.file('head.img'), mbrImage(this.options.diskId));
		await truncate(this.file('head.img'), this.headBytes);
		await writeRootImage(this.rootFile(2), initial);
		await truncate(this.rootFile(2), this.rootBytes);
		await writeFile(this.rootFile(3), '');
		await truncate(this.rootFile(3), this.rootBytes);
		// boot.img last: its presence says the card is complete.
		await writeFile(this.file('boot.img'), bootImage(demoCmdline(this.options.diskId, 2)));
		await truncate(this.file('boot.img'), this.bootBytes);
	}

	/**
	 * What the next boot runs: the root partition cmdline.txt names; with the testboot flag, the other one once (the
	 * flag becomes gokrazy.switch_on_boot=1, so the boot after that is the old one again, as maybeSwitchToInactive
	 * does), falling back to the named one when the tried build cannot boot.
	 */
	async boot(): Promise<BootOutcome> {
		this.booted = await this.pickBuild();
		return this.booted;
	}

	private async pickBuild(): Promise<BootOutcome> {
		const cmdline = await this.readCmdline();
		if (cmdline === undefined) {
			return {ok: false, reason: 'the boot partition holds no cmdline.txt'};
		}

		const match = rootPartitionPattern.exec(cmdline);
		if (!match) {
			return {ok: false, reason: `cmdline.txt names no root partition (${cmdline.trim().slice(0, 120)})`};
		}

		this.cmdlinePartition = Number(match[1] ?? match[2]) as Partition;
		if (cmdline.includes(tryBootFlag)) {
			await this.modifyCmdline(text => text.replaceAll(tryBootFlag, 'gokrazy.switch_on_boot=1'));
			const tried = await this.bootable(other(this.cmdlinePartition));
			if (tried.ok) {
				return {ok: true, build: tried.build, partition: other(this.cmdlinePartition), testboot: true};
			}

			const fallback = await this.bootable(this.cmdlinePartition);
			return fallback.ok
				? {ok: true, build: fallback.build, partition: this.cmdlinePartition, testboot: false, fellBackBecause: tried.reason}
				: fallback;
		}

		const named = await this.bootable(this.cmdlinePartition);
		return named.ok ? {ok: true, build: named.build, partition: this.cmdlinePartition, testboot: false} : named;
	}

	private async bootable(partition: Partition): Promise<{ok: true; build: DemoBuild} | {ok: false; reason: string}> {
		const read = await readRootImage(this.rootFile(partition));
		if (!read.ok) {
			return {ok: false, reason: `root partition ${partition}: ${read.reason}`};
		}

		if (read.build.arch !== this.options.arch) {
			return {ok: false, reason: `root partition ${partition}: the build is for ${read.build.arch}, this device is ${this.options.arch}`};
		}

		return {ok: true, build: read.build};
	}

	/** cmdline.txt as the FAT records it (its padded size), or undefined without one. */
	async readCmdline(): Promise<string | undefined> {
		const handle = await open(this.file('boot.img'), 'r');
		try {
			const head = Buffer.alloc(4096);
			const {bytesRead} = await handle.read(head, 0, head.length, 0);
			const extent = cmdlineExtent(head.subarray(0, bytesRead));
			return extent ? head.subarray(extent.offset, extent.offset + extent.length).toString('latin1') : undefined;
		} finally {
			await handle.close();
		}
	}

	/** update.go's modifyCmdlineFile: rewritten in place within the recorded size, padded with spaces before the newline, or cut. */
	private async modifyCmdline(replace: (text: string) => string): Promise<void> {
		const handle = await open(this.file('boot.img'), 'r+');
		try {
			const head = Buffer.alloc(4096);
			const {bytesRead} = await handle.read(head, 0, head.length, 0);
			const extent = cmdlineExtent(head.subarray(0, bytesRead));
			if (!extent) {
				throw new Error('"/cmdline.txt" not found');
			}

			const before = head.subarray(extent.offset, extent.offset + extent.length).toString('latin1');
			let after = replace(before);
			const pad = before.length - after.length;
			if (pad > 0) {
				after = after.replaceAll('\n', `${' '.repeat(pad)}\n`);
			}

			// Whatever goes past the recorded size is not part of the file any more.
			const bytes = Buffer.from(after, 'latin1').subarray(0, extent.length);
			await handle.write(bytes, 0, bytes.length, extent.offset);
			await handle.sync();
		} finally {
			await handle.close();
		}
	}

	/** The request listener for every /update/ path (authentication already passed; the body is unread). */
	readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
		const url = req.url ?? '/';
		const pathname = url.split('?', 1)[0]!;
		const inactive = this.inactiveAtStart;
		switch (pathname) {
			case '/update/features':
				req.resume();
				this.features(req, res);
				return;
			case '/update/root':
				this.put(req, res, 'root', {file: this.rootFile(inactive), device: `/dev/mmcblk0p${inactive}`, offset: 0, limit: this.rootBytes});
				return;
			case '/update/boot':
				this.put(req, res, 'boot', this.bootDestination());
				return;
			case '/update/bootonly':
				this.put(req, res, 'boot', this.bootDestination(), async () => {
					await this.modifyCmdline(text => text.replace(rootArgument, `root=PARTUUID=${this.options.diskId}-0${this.cmdlinePartition}`));
				});
				return;
			case '/update/mbr':
				this.put(req, res, 'mbr', {file: this.file('head.img'), device: '/dev/mmcblk0', offset: 0, limit: this.headBytes});
				return;
			case '/update/switch':
				this.post(req, res, 'switch', async () => {
					await this.modifyCmdline(text => text.replace(rootArgument, `root=PARTUUID=${this.options.diskId}-0${inactive}`));
				});
				return;
			case '/update/testboot':
				this.post(req, res, 'testboot', async () => {
					await this.modifyCmdline(text => text.replaceAll('\n', ` ${tryBootFlag}\n`));
				});
				return;
			default:
				// No device-specific files on this model, and the mux knows no other /update/ path.
				req.resume();
				sendGoError(req, res, 404, '404 page not found');
		}
	};

	private bootDestination(): Destination {
		return {file: this.file('boot.img'), device: '/dev/mmcblk0p1', offset: 0, limit: this.bootBytes};
	}

	private features(req: IncomingMessage, res: ServerResponse): void {
		const features = 'partuuid,updatehash,';
		const accept = `${req.headers.accept ?? ''} ${req.headers['content-type'] ?? ''}`;
		if (accept.includes('application/json')) {
			sendGo(req, res, 200, [['Content-Type', 'application/json']], JSON.stringify({features, EEPROM: null}));
			return;
		}

		sendGo(req, res, 200, [['Content-Type', 'text/plain; charset=utf-8']], features);
	}

	/** One request at a time per endpoint; the next waits (its body unread) until the previous is answered. */
	private async locked(key: string, work: () => Promise<void>): Promise<void> {
		const previous = this.locks.get(key) ?? Promise.resolve();
		const current = previous.then(work, work);
		this.locks.set(key, current.catch(() => undefined));
		await current;
	}

	private post(req: IncomingMessage, res: ServerResponse, key: string, change: () => Promise<void>): void {
		req.resume();
		if (req.method !== 'POST') {
			sendGoError(req, res, 400, 'expected a POST request');
			return;
		}

		void this.locked(key, async () => {
			try {
				await change();
				sendGo(req, res, 200, []);
			} catch (error) {
				sendGoError(req, res, 500, (error as Error).message);
			}
		});
	}

	private put(req: IncomingMessage, res: ServerResponse, key: string, destination: Destination, after?: () => Promise<void>): void {
		if (req.method !== 'PUT') {
			req.resume();
			sendGoError(req, res, 400, 'expected a PUT request');
			return;
		}

		void this.locked(key, async () => {
			const hash: Hash | Crc32 = req.headers['x-gokrazy-update-hash'] === 'crc32' ? new Crc32() : createHash('sha256');
			let failure: string | undefined;
			try {
				failure = await this.receive(req, destination, hash);
			} catch {
				// The client went away mid-body: nobody to answer; what arrived stays written, as on a real partition.
				res.destroy();
				return;
			}

			if (failure === undefined && after) {
				try {
					await after();
				} catch (error) {
					failure = (error as Error).message;
				}
			}

			if (failure !== undefined) {
				// Go answers and closes the connection when the handler left most of a body unread.
				sendGoError(req, res, 500, failure, [['Connection', 'close']]);
				res.once('finish', () => req.socket.destroySoon());
				return;
			}

			sendGo(req, res, 200, [], hash.digest().toString('hex'));
		});
	}

	/** Streams the body onto the partition file; a write error (or the partition's end) is the answer's text. */
	private async receive(req: IncomingMessage, destination: Destination, hash: Hash | Crc32): Promise<string | undefined> {
		const handle = await open(destination.file, 'r+');
		let position = destination.offset;
		const started = Date.now();
		let failure: string | undefined;
		try {
			// Leaving the loop early must not destroy the socket: the 500 still has to go out on it.
			for await (const chunk of req.iterator({destroyOnReturn: false})) {
				const bytes = chunk as Buffer;
				const room = destination.offset + destination.limit - position;
				const fits = bytes.subarray(0, Math.max(0, room));
				hash.update(fits);
				let written = 0;
				while (written < fits.length) {
					const result = await handle.write(fits, written, fits.length - written, position + written);
					written += result.bytesWritten;
				}

				position += fits.length;
				if (fits.length < bytes.length) {
					failure = `write ${destination.device}: no space left on device`;
					break;
				}

				const rate = this.writeBytesPerSecond;
				if (rate !== undefined && rate > 0) {
					const due = started + ((position - destination.offset) / rate) * 1000;
					if (due > Date.now()) {
						await sleep(due - Date.now());
					}
				}
			}

			if (failure === undefined) {
				await handle.sync();
			}
		} finally {
			await handle.close();
		}

		return failure;
	}
}
