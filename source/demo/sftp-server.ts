// The demo breakglass's SFTP server (protocol version 3), answering as breakglass's github.com/pkg/sftp server does.
import {constants, type Stats} from 'node:fs';
import fs, {type FileHandle} from 'node:fs/promises';
import path from 'node:path';
import type {Duplex} from 'node:stream';

/** Packet types and status codes of draft-ietf-secsh-filexfer-02 (SFTP version 3). */
const type = {
	init: 1,
	version: 2,
	open: 3,
	close: 4,
	read: 5,
	write: 6,
	lstat: 7,
	fstat: 8,
	setstat: 9,
	fsetstat: 10,
	opendir: 11,
	readdir: 12,
	remove: 13,
	mkdir: 14,
	rmdir: 15,
	realpath: 16,
	stat: 17,
	rename: 18,
	readlink: 19,
	symlink: 20,
	status: 101,
	handle: 102,
	data: 103,
	name: 104,
	attrs: 105,
	extended: 200,
	extendedReply: 201,
} as const;

export const sftpStatus = {ok: 0, eof: 1, noSuchFile: 2, permissionDenied: 3, failure: 4, badMessage: 5, opUnsupported: 8} as const;

/** SSH_FXF_* open flags, all of them: OpenSSH's scp (SFTP mode) opens with WRITE|CREAT and no TRUNC, for one. */
export const openFlag = {read: 0x01, write: 0x02, append: 0x04, creat: 0x08, trunc: 0x10, excl: 0x20} as const;

const attrFlag = {size: 0x1, uidgid: 0x2, permissions: 0x4, acmodtime: 0x8, extended: 0x8000_0000} as const;

/** The extensions pkg/sftp announces; OpenSSH's sftp uses `ln`, `df` and atomic renames only when they are there. */
const extensions: Array<[string, string]> = [
	['hardlink@openssh.com', '1'],
	['posix-rename@openssh.com', '1'],
	['statvfs@openssh.com', '2'],
];

/** Longest packet accepted: pkg/sftp's limit is 256 KiB of payload; a longer length is a broken or hostile client. */
export const maxPacketLength = 256 * 1024 + 1024;
/** Most bytes one READ answers with (pkg/sftp's), whatever length was asked. */
const maxReadLength = 32 * 1024;
/** Names per READDIR answer (pkg/sftp's). */
const readdirBatch = 128;

export type SftpOptions = {
	/** The working folder: relative paths start here, as they do from breakglass's working directory. */
	cwd: string;
	/** Called when a file opened for writing is closed (breakglass's tar unpacking watches these). */
	onWritten?: (file: string) => void;
	/** User and group names for `ls -l`, looked up as Go's os/user does; the number when unknown. */
	userName?: (uid: number) => string;
	groupName?: (gid: number) => string;
};

type Attrs = {size?: bigint; uid?: number; gid?: number; permissions?: number; atime?: number; mtime?: number};

class Reader {
	private offset = 0;

	constructor(private readonly buffer: Buffer) {}

	uint32(): number {
		if (this.offset + 4 > this.buffer.length) {
			throw new BadMessage();
		}

		const value = this.buffer.readUInt32BE(this.offset);
		this.offset += 4;
		return value;
	}

	uint64(): bigint {
		if (this.offset + 8 > this.buffer.length) {
			throw new BadMessage();
		}

		const value = this.buffer.readBigUInt64BE(this.offset);
		this.offset += 8;
		return value;
	}

	bytes(): Buffer {
		const length = this.uint32();
		if (this.offset + length > this.buffer.length) {
			throw new BadMessage();
		}

		const value = this.buffer.subarray(this.offset, this.offset + length);
		this.offset += length;
		return value;
	}

	string(): string {
		return this.bytes().toString('utf8');
	}

	attrs(): Attrs {
		const flags = this.uint32();
		const attrs: Attrs = {};
		if (flags & attrFlag.size) {
			attrs.size = this.uint64();
		}

		if (flags & attrFlag.uidgid) {
			attrs.uid = this.uint32();
			attrs.gid = this.uint32();
		}

		if (flags & attrFlag.permissions) {
			attrs.permissions = this.uint32();
		}

		if (flags & attrFlag.acmodtime) {
			attrs.atime = this.uint32();
			attrs.mtime = this.uint32();
		}

		if (flags & attrFlag.extended) {
			const count = this.uint32();
			for (let index = 0; index < count; index++) {
				this.bytes();
				this.bytes();
			}
		}

		return attrs;
	}
}

class BadMessage extends Error {
	constructor() {
		super('malformed packet');
	}
}

/** Packet bodies for answers: type, then fields, length-prefixed when sent. */
class Writer {
	private readonly parts: Buffer[] = [];

	constructor(packetType: number) {
		this.parts.push(Buffer.from([packetType]));
	}

	uint32(value: number): this {
		const buffer = Buffer.alloc(4);
		buffer.writeUInt32BE(value >>> 0);
		this.parts.push(buffer);
		return this;
	}

	uint64(value: bigint | number): this {
		const buffer = Buffer.alloc(8);
		buffer.writeBigUInt64BE(BigInt(value));
		this.parts.push(buffer);
		return this;
	}

	string(value: string | Buffer): this {
		const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
		this.uint32(bytes.length);
		this.parts.push(bytes);
		return this;
	}

	attrs(stats: Stats | undefined): this {
		if (!stats) {
			return this.uint32(0);
		}

		return this.uint32(attrFlag.size | attrFlag.uidgid | attrFlag.permissions | attrFlag.acmodtime)
			.uint64(stats.size)
			.uint32(stats.uid)
			.uint32(stats.gid)
			.uint32(stats.mode)
			.uint32(Math.floor(stats.atimeMs / 1000))
			.uint32(Math.floor(stats.mtimeMs / 1000));
	}

	packet(): Buffer {
		const body = Buffer.concat(this.parts);
		const length = Buffer.alloc(4);
		length.writeUInt32BE(body.length);
		return Buffer.concat([length, body]);
	}
}

/** Go's text for a failed system call, `open /x: no such file or directory`, from Node's `ENOENT: no such file or directory, open '/x'`. */
function goErrorText(error: unknown): string {
	const message = (error as Error).message ?? String(error);
	const match = /^[A-Z]+: (.+?), (\w+) '([^']*)'/.exec(message);
	return match ? `${match[2]} ${match[3]}: ${match[1]}` : message;
}

function statusFor(error: unknown): number {
	switch ((error as NodeJS.ErrnoException).code) {
		case 'ENOENT': {
			return sftpStatus.noSuchFile;
		}

		case 'EACCES':
		case 'EPERM': {
			return sftpStatus.permissionDenied;
		}

		default: {
			return sftpStatus.failure;
		}
	}
}

/** SSH_FXF_* → open(2) flags, as pkg/sftp maps them. */
export function openFlags(pflags: number): number {
	let flags: number;
	if (pflags & openFlag.read && pflags & openFlag.write) {
		flags = constants.O_RDWR;
	} else if (pflags & openFlag.write) {
		flags = constants.O_WRONLY;
	} else {
		flags = constants.O_RDONLY;
	}

	if (pflags & openFlag.append) {
		flags |= constants.O_APPEND;
	}

	if (pflags & openFlag.creat) {
		flags |= constants.O_CREAT;
	}

	if (pflags & openFlag.trunc) {
		flags |= constants.O_TRUNC;
	}

	if (pflags & openFlag.excl) {
		flags |= constants.O_EXCL;
	}

	return flags;
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's FileMode string as pkg/sftp prints it in `ls -l` lines. */
function modeString(stats: Stats): string {
	const kind = stats.isDirectory()
		? 'd'
		: stats.isSymbolicLink()
			? 'l'
			: stats.isFIFO()
				? 'p'
				: stats.isSocket()
					? 's'
					: stats.isCharacterDevice()
						? 'c'
						: stats.isBlockDevice()
							? 'b'
							: '-';
	let permissions = '';
	for (let shift = 6; shift >= 0; shift -= 3) {
		const bits = (stats.mode >> shift) & 7;
		permissions += `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
	}

	return kind + permissions;
}

/** An `ls -l` line as pkg/sftp's runLs writes it: mode, links, owner, group, size, date, name. */
export function longName(name: string, stats: Stats, owner: string, group: string, now = new Date()): string {
	const mtime = stats.mtime;
	const halfYearAgo = new Date(now);
	halfYearAgo.setMonth(halfYearAgo.getMonth() - 6);
	const pad = (value: number) => String(value).padStart(2, '0');
	const yearOrTime = mtime < halfYearAgo ? String(mtime.getFullYear()) : `${pad(mtime.getHours())}:${pad(mtime.getMinutes())}`;
	return `${modeString(stats)} ${String(stats.nlink).padStart(4)} ${owner.padEnd(8)} ${group.padEnd(8)} ${String(stats.size).padStart(8)} ${monthNames[mtime.getMonth()]} ${String(mtime.getDate()).padStart(2)} ${yearOrTime.padStart(5)} ${name}`;
}

type OpenEntry = {kind: 'file'; handle: FileHandle; path: string; writing: boolean} | {kind: 'dir'; path: string; names: string[] | undefined};

/**
 * Serves SFTP on one session channel until the client ends it. Requests are answered one at a time, in order;
 * every answer names the request it answers, so clients that pipeline (all of them) are served correctly.
 */
export function serveSftp(channel: Duplex, options: SftpOptions): {closed: Promise<void>} {
	const handles = new Map<number, OpenEntry>();
	let nextHandle = 1;
	let pending: Buffer = Buffer.alloc(0);
	let queue = Promise.resolve();
	let broken = false;
	const send = (writer: Writer) => {
		if (!broken) {
			channel.write(writer.packet());
		}
	};

	const status = (id: number, code: number, message = '') => send(new Writer(type.status).uint32(id).uint32(code).string(message).string(''));
	const local = (requested: string) => path.resolve(options.cwd, requested === '' ? '.' : requested);
	const newHandle = (entry: OpenEntry) => {
		const id = nextHandle++;
		handles.set(id, entry);
		return Buffer.from(String(id));
	};

	const lookup = (handle: Buffer) => {
		const text = handle.toString('latin1');
		return /^\d{1,10}$/.test(text) ? handles.get(Number(text)) : undefined;
	};

	const applyAttrs = async (target: string | FileHandle, attrs: Attrs) => {
		const byPath = typeof target === 'string';
		if (attrs.size !== undefined) {
			await (byPath ? fs.truncate(target, Number(attrs.size)) : target.truncate(Number(attrs.size)));
		}

		if (attrs.permissions !== undefined) {
			await (byPath ? fs.chmod(target, attrs.permissions & 0o7777) : target.chmod(attrs.permissions & 0o7777));
		}

		if (attrs.uid !== undefined && attrs.gid !== undefined) {
			await (byPath ? fs.chown(target, attrs.uid, attrs.gid) : target.chown(attrs.uid, attrs.gid));
		}

		if (attrs.atime !== undefined && attrs.mtime !== undefined) {
			await (byPath ? fs.utimes(target, attrs.atime, attrs.mtime) : target.utimes(attrs.atime, attrs.mtime));
		}
	};

	/** Go's os.Remove: a file, or else an empty directory. */
	const remove = async (target: string) => {
		try {
			await fs.unlink(target);
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== 'EISDIR' && code !== 'EPERM') {
				throw error;
			}

			await fs.rmdir(target);
		}
	};

	const handlers: Record<number, (id: number, reader: Reader) => Promise<void>> = {
		async [type.open](id, reader) {
			const filename = local(reader.string());
			const pflags = reader.uint32();
			const attrs = reader.attrs();
			const handle = await fs.open(filename, openFlags(pflags), attrs.permissions === undefined ? 0o644 : attrs.permissions & 0o7777);
			send(new Writer(type.handle).uint32(id).string(newHandle({kind: 'file', handle, path: filename, writing: (pflags & openFlag.write) !== 0})));
		},
		async [type.close](id, reader) {
			const raw = reader.bytes();
			const entry = lookup(raw);
			if (!entry) {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			handles.delete(Number(raw.toString('latin1')));
			if (entry.kind === 'file') {
				await entry.handle.close();
				if (entry.writing) {
					options.onWritten?.(entry.path);
				}
			}

			status(id, sftpStatus.ok);
		},
		async [type.read](id, reader) {
			const entry = lookup(reader.bytes());
			const offset = reader.uint64();
			const length = Math.min(reader.uint32(), maxReadLength);
			if (entry?.kind !== 'file') {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			const buffer = Buffer.alloc(length);
			const {bytesRead} = await entry.handle.read(buffer, 0, length, Number(offset));
			if (bytesRead === 0 && length > 0) {
				status(id, sftpStatus.eof, 'EOF');
				return;
			}

			send(new Writer(type.data).uint32(id).string(buffer.subarray(0, bytesRead)));
		},
		async [type.write](id, reader) {
			const entry = lookup(reader.bytes());
			const offset = reader.uint64();
			const data = reader.bytes();
			if (entry?.kind !== 'file') {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			await entry.handle.write(data, 0, data.length, Number(offset));
			status(id, sftpStatus.ok);
		},
		async [type.lstat](id, reader) {
			send(new Writer(type.attrs).uint32(id).attrs(await fs.lstat(local(reader.string()))));
		},
		async [type.stat](id, reader) {
			send(new Writer(type.attrs).uint32(id).attrs(await fs.stat(local(reader.string()))));
		},
		async [type.fstat](id, reader) {
			const entry = lookup(reader.bytes());
			if (!entry) {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			send(new Writer(type.attrs).uint32(id).attrs(entry.kind === 'file' ? await entry.handle.stat() : await fs.stat(entry.path)));
		},
		async [type.setstat](id, reader) {
			const target = local(reader.string());
			await applyAttrs(target, reader.attrs());
			status(id, sftpStatus.ok);
		},
		async [type.fsetstat](id, reader) {
			const entry = lookup(reader.bytes());
			const attrs = reader.attrs();
			if (!entry) {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			await applyAttrs(entry.kind === 'file' ? entry.handle : entry.path, attrs);
			status(id, sftpStatus.ok);
		},
		async [type.opendir](id, reader) {
			const target = local(reader.string());
			// Opening it is what fails for a missing folder or a file (ENOTDIR), with the same errors as Go's.
			await (await fs.opendir(target)).close();
			send(new Writer(type.handle).uint32(id).string(newHandle({kind: 'dir', path: target, names: undefined})));
		},
		async [type.readdir](id, reader) {
			const entry = lookup(reader.bytes());
			if (entry?.kind !== 'dir') {
				status(id, sftpStatus.failure, 'invalid handle');
				return;
			}

			entry.names ??= await fs.readdir(entry.path);
			const batch = entry.names.splice(0, readdirBatch);
			if (batch.length === 0) {
				status(id, sftpStatus.eof, 'EOF');
				return;
			}

			const writer = new Writer(type.name).uint32(id);
			const listed: Array<{name: string; stats: Stats}> = [];
			for (const name of batch) {
				const stats = await fs.lstat(path.join(entry.path, name)).catch(() => undefined);
				if (stats) {
					listed.push({name, stats});
				}
			}

			writer.uint32(listed.length);
			for (const {name, stats} of listed) {
				const owner = options.userName?.(stats.uid) ?? String(stats.uid);
				const group = options.groupName?.(stats.gid) ?? String(stats.gid);
				writer.string(name).string(longName(name, stats, owner, group)).attrs(stats);
			}

			send(writer);
		},
		async [type.remove](id, reader) {
			await remove(local(reader.string()));
			status(id, sftpStatus.ok);
		},
		async [type.mkdir](id, reader) {
			const target = local(reader.string());
			reader.attrs();
			await fs.mkdir(target, {mode: 0o755});
			status(id, sftpStatus.ok);
		},
		async [type.rmdir](id, reader) {
			await remove(local(reader.string()));
			status(id, sftpStatus.ok);
		},
		async [type.realpath](id, reader) {
			const resolved = local(reader.string());
			send(new Writer(type.name).uint32(id).uint32(1).string(resolved).string(resolved).attrs(undefined));
		},
		async [type.rename](id, reader) {
			const from = local(reader.string());
			await fs.rename(from, local(reader.string()));
			status(id, sftpStatus.ok);
		},
		async [type.readlink](id, reader) {
			const target = await fs.readlink(local(reader.string()));
			send(new Writer(type.name).uint32(id).uint32(1).string(target).string(target).attrs(undefined));
		},
		async [type.symlink](id, reader) {
			// OpenSSH sends the target first and the link second (the draft says otherwise); pkg/sftp follows OpenSSH.
			const target = reader.string();
			await fs.symlink(target, local(reader.string()));
			status(id, sftpStatus.ok);
		},
		async [type.extended](id, reader) {
			const request = reader.string();
			switch (request) {
				case 'posix-rename@openssh.com': {
					const from = local(reader.string());
					await fs.rename(from, local(reader.string()));
					status(id, sftpStatus.ok);
					break;
				}

				case 'hardlink@openssh.com': {
					const from = local(reader.string());
					await fs.link(from, local(reader.string()));
					status(id, sftpStatus.ok);
					break;
				}

				case 'statvfs@openssh.com': {
					const stats = await fs.statfs(local(reader.string()));
					// bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax.
					const writer = new Writer(type.extendedReply).uint32(id);
					for (const value of [stats.bsize, stats.bsize, stats.blocks, stats.bfree, stats.bavail, stats.files, stats.ffree, stats.ffree, 0, 0, 255]) {
						writer.uint64(value);
					}

					send(writer);
					break;
				}

				default: {
					status(id, sftpStatus.opUnsupported, 'operation unsupported');
				}
			}
		},
	};

	const handlePacket = async (packet: Buffer) => {
		const packetType = packet[0];
		const reader = new Reader(packet.subarray(1));
		if (packetType === type.init) {
			// The client's version and extensions change nothing: the answer is version 3 with pkg/sftp's extensions.
			const writer = new Writer(type.version).uint32(3);
			for (const [name, version] of extensions) {
				writer.string(name).string(version);
			}

			send(writer);
			return;
		}

		let id: number | undefined;
		try {
			id = reader.uint32();
			const handler = handlers[packetType];
			if (handler) {
				await handler(id, reader);
			} else {
				status(id, sftpStatus.opUnsupported, 'operation unsupported');
			}
		} catch (error) {
			if (id === undefined || error instanceof BadMessage) {
				status(id ?? 0, sftpStatus.badMessage, 'malformed packet');
			} else {
				status(id, statusFor(error), goErrorText(error));
			}
		}
	};

	channel.on('data', (chunk: Buffer) => {
		if (broken) {
			return;
		}

		pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
		while (pending.length >= 4) {
			const length = pending.readUInt32BE(0);
			if (length === 0 || length > maxPacketLength) {
				// A length no client sends: pkg/sftp gives up on the session, and so does this.
				broken = true;
				pending = Buffer.alloc(0);
				channel.destroy();
				return;
			}

			if (pending.length < 4 + length) {
				break;
			}

			const packet = pending.subarray(4, 4 + length);
			pending = pending.subarray(4 + length);
			// handlePacket answers its own failures; the catch only keeps one unexpected throw from stalling the queue.
			queue = queue.then(() => handlePacket(packet)).catch(() => {});
		}
	});

	const closed = new Promise<void>(resolve => {
		let done = false;
		const finish = () => {
			if (done) {
				return;
			}

			done = true;
			void queue.then(async () => {
				for (const entry of handles.values()) {
					if (entry.kind === 'file') {
						await entry.handle.close().catch(() => {});
						if (entry.writing) {
							options.onWritten?.(entry.path);
						}
					}
				}

				handles.clear();
				resolve();
			});
		};

		channel.once('end', finish);
		channel.once('close', finish);
	});
	return {closed};
}
