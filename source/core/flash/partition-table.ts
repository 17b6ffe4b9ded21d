// Reads the partition table at the start of an image (MBR or GPT) and recognises the file systems the fast mode understands.

export type Partition = {
	/** 1-based, as the kernel numbers them (sda1…). */
	number: number;
	/** Byte offset in the image. */
	start: number;
	size: number;
	/** MBR type byte as hex ("0c", "83") or the GPT type GUID. */
	type: string;
	/** An MBR extended partition: a container of logical partitions. */
	extended: boolean;
};

export type PartitionTable = {scheme: 'mbr' | 'gpt' | 'none'; partitions: Partition[]};

const extendedTypes = new Set([0x05, 0x0f, 0x85]);

function isFatBootSector(head: Uint8Array): boolean {
	const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
	const jump = head[0] === 0xeb || head[0] === 0xe9;
	return jump && (view.toString('latin1', 54, 57) === 'FAT' || view.toString('latin1', 82, 87) === 'FAT32');
}

function guidText(bytes: Buffer): string {
	const hex = (start: number, end: number, reverse: boolean) => {
		const part = [...bytes.subarray(start, end)];
		return (reverse ? part.reverse() : part).map(byte => byte.toString(16).padStart(2, '0')).join('');
	};

	return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

function parseGpt(head: Buffer, sectorSize: number): Partition[] | undefined {
	if (head.length < sectorSize * 2 || head.toString('latin1', sectorSize, sectorSize + 8) !== 'EFI PART') {
		return undefined;
	}

	const header = head.subarray(sectorSize);
	const entriesLba = Number(header.readBigUInt64LE(72));
	const count = header.readUInt32LE(80);
	const entrySize = header.readUInt32LE(84);
	if (entrySize < 128 || count > 1024) {
		return undefined;
	}

	const partitions: Partition[] = [];
	for (let index = 0; index < count; index++) {
		const offset = entriesLba * sectorSize + index * entrySize;
		if (offset + entrySize > head.length) {
			break;
		}

		const entry = head.subarray(offset, offset + entrySize);
		const type = entry.subarray(0, 16);
		if (type.every(byte => byte === 0)) {
			continue;
		}

		const first = Number(entry.readBigUInt64LE(32));
		const last = Number(entry.readBigUInt64LE(40));
		if (last < first) {
			continue;
		}

		partitions.push({number: index + 1, start: first * sectorSize, size: (last - first + 1) * sectorSize, type: guidText(type), extended: false});
	}

	return partitions;
}

/** The partitions listed in the first bytes of an image (give it at least the first MiB). */
export function parsePartitionTable(bytes: Uint8Array): PartitionTable {
	const head = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	for (const sectorSize of [512, 4096]) {
		const gpt = parseGpt(head, sectorSize);
		if (gpt) {
			return {scheme: 'gpt', partitions: gpt};
		}
	}

	if (head.length < 512 || head[510] !== 0x55 || head[511] !== 0xaa || isFatBootSector(head)) {
		return {scheme: 'none', partitions: []};
	}

	const partitions: Partition[] = [];
	for (let index = 0; index < 4; index++) {
		const entry = head.subarray(446 + index * 16, 462 + index * 16);
		const status = entry[0];
		const type = entry[4];
		if (status !== 0x00 && status !== 0x80) {
			// Not a partition table after all (boot code or a file system's own sector).
			return {scheme: 'none', partitions: []};
		}

		const startSector = entry.readUInt32LE(8);
		const sectors = entry.readUInt32LE(12);
		if (type === 0 || sectors === 0 || type === 0xee) {
			continue;
		}

		partitions.push({
			number: index + 1,
			start: startSector * 512,
			size: sectors * 512,
			type: type.toString(16).padStart(2, '0'),
			extended: extendedTypes.has(type),
		});
	}

	return {scheme: partitions.length > 0 ? 'mbr' : 'none', partitions};
}

export type FatLayout = {
	kind: 'fat';
	bits: 12 | 16 | 32;
	bytesPerSector: number;
	clusterBytes: number;
	/** Offsets relative to the start of the file system. */
	fatStart: number;
	fatBytes: number;
	dataStart: number;
	clusters: number;
};

export type FileSystemGuess =
	| FatLayout
	| {kind: 'squashfs'; bytesUsed: number}
	| {kind: 'ext'}
	| {kind: 'empty'}
	| {kind: 'unknown'};

const powerOfTwo = (value: number) => value > 0 && (value & (value - 1)) === 0;

function fatLayout(head: Buffer): FatLayout | undefined {
	if (head.length < 512 || !(head[0] === 0xeb || head[0] === 0xe9) || head[510] !== 0x55 || head[511] !== 0xaa) {
		return undefined;
	}

	const bytesPerSector = head.readUInt16LE(11);
	const sectorsPerCluster = head[13];
	const reserved = head.readUInt16LE(14);
	const fats = head[16];
	const rootEntries = head.readUInt16LE(17);
	const totalSectors = head.readUInt16LE(19) || head.readUInt32LE(32);
	const fatSectors = head.readUInt16LE(22) || head.readUInt32LE(36);
	if (!powerOfTwo(bytesPerSector) || bytesPerSector < 512 || bytesPerSector > 4096 || !powerOfTwo(sectorsPerCluster)
		|| reserved === 0 || fats === 0 || fats > 4 || fatSectors === 0 || totalSectors === 0) {
		return undefined;
	}

	const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
	const dataSector = reserved + fats * fatSectors + rootSectors;
	if (dataSector >= totalSectors) {
		return undefined;
	}

	const clusters = Math.floor((totalSectors - dataSector) / sectorsPerCluster);
	const bits = clusters < 4085 ? 12 : clusters < 65_525 ? 16 : 32;
	return {
		kind: 'fat',
		bits,
		bytesPerSector,
		clusterBytes: sectorsPerCluster * bytesPerSector,
		fatStart: reserved * bytesPerSector,
		fatBytes: fatSectors * bytesPerSector,
		dataStart: dataSector * bytesPerSector,
		clusters,
	};
}

/** What the first 64 KiB of a partition hold, as far as the fast mode cares. */
export function recognizeFileSystem(bytes: Uint8Array, partitionSize: number): FileSystemGuess {
	const head = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (head.every(byte => byte === 0)) {
		return {kind: 'empty'};
	}

	const fat = fatLayout(head);
	if (fat) {
		return fat;
	}

	if (head.length >= 48 && head.toString('latin1', 0, 4) === 'hsqs') {
		const bytesUsed = Number(head.readBigUInt64LE(40));
		if (bytesUsed > 0 && bytesUsed <= partitionSize) {
			return {kind: 'squashfs', bytesUsed};
		}
	}

	if (head.length >= 1082 && head.readUInt16LE(1080) === 0xef53) {
		return {kind: 'ext'};
	}

	return {kind: 'unknown'};
}
