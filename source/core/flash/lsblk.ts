// Block devices as lsblk reports them: runs `lsblk --json` and reads both its typed JSON and the all-strings JSON of older util-linux.
import {execFile} from 'node:child_process';

/** One node of lsblk's tree: a disk, or a partition (or loop, rom…) with its children. */
export type BlockDevice = {
	name: string;
	path: string;
	/** disk, part, loop, rom, lvm, crypt… */
	type: string;
	size: number;
	/** The kernel's removable flag (RM). */
	removable: boolean;
	hotplug: boolean;
	readOnly: boolean;
	/** usb, mmc, nvme, sata… or '' when lsblk names none. */
	transport: string;
	/** The sysfs subsystem chain, innermost first: ['block', 'scsi', 'usb', 'pci']. */
	subsystems: string[];
	model: string;
	vendor: string;
	mountpoints: string[];
	fstype: string;
	label: string;
	/** "8:16" when lsblk was asked for MAJ:MIN. */
	majMin: string;
	children: BlockDevice[];
};

/** The columns the wizard asks for; MAJ:MIN finds the disk that holds the image file. */
export const lsblkColumns = [
	'NAME', 'PATH', 'TYPE', 'SIZE', 'RM', 'HOTPLUG', 'RO', 'TRAN', 'SUBSYSTEMS', 'MODEL', 'VENDOR', 'MOUNTPOINTS',
	'FSTYPE', 'LABEL', 'MAJ:MIN',
] as const;

/** Older lsblk lacks some columns; what to ask for instead (undefined: drop the column). */
const columnFallbacks: Record<string, string | undefined> = {
	MOUNTPOINTS: 'MOUNTPOINT',
	PATH: undefined,
	SUBSYSTEMS: undefined,
	HOTPLUG: undefined,
	TRAN: undefined,
	VENDOR: undefined,
};

export class LsblkError extends Error {
	override readonly name = 'LsblkError';
}

type RawNode = Record<string, unknown>;

function text(value: unknown): string {
	// Only scalars are text: an object from a broken lsblk (even one whose toString is not a function) is no name.
	if (typeof value === 'string') {
		return value.trim();
	}

	return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : '';
}

/** Typed JSON has true/false; util-linux before 2.33 wrote "1"/"0" (and some builds "true"). */
function flag(value: unknown): boolean {
	if (typeof value === 'boolean') {
		return value;
	}

	const string = text(value).toLowerCase();
	return string === '1' || string === 'true' || string === 'yes';
}

function bytes(value: unknown): number {
	if (typeof value === 'number') {
		return value;
	}

	const string = text(value);
	if (/^\d+$/.test(string)) {
		return Number(string);
	}

	// Without --bytes lsblk prints "29.7G": accept it rather than lie with 0.
	const match = /^([\d.]+)\s*([KMGTPE])i?B?$/i.exec(string);
	if (match) {
		const power = 'KMGTPE'.indexOf(match[2].toUpperCase()) + 1;
		return Math.round(Number(match[1]) * 1024 ** power);
	}

	return 0;
}

function mountpointsOf(node: RawNode): string[] {
	const list = node.mountpoints;
	if (Array.isArray(list)) {
		return list.map(entry => text(entry)).filter(entry => entry !== '');
	}

	const single = text(node.mountpoint);
	return single === '' ? [] : [single];
}

function isNode(value: unknown): value is RawNode {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toDevice(node: RawNode): BlockDevice {
	const name = text(node.name);
	const path = text(node.path) || (name.startsWith('/') ? name : `/dev/${name}`);
	const children = Array.isArray(node.children) ? node.children.filter(child => isNode(child)).map(child => toDevice(child)) : [];
	return {
		name,
		path,
		type: text(node.type),
		size: bytes(node.size),
		removable: flag(node.rm),
		hotplug: flag(node.hotplug),
		readOnly: flag(node.ro),
		transport: text(node.tran).toLowerCase(),
		subsystems: text(node.subsystems).split(':').filter(part => part !== ''),
		model: text(node.model),
		vendor: text(node.vendor),
		mountpoints: mountpointsOf(node),
		fstype: text(node.fstype),
		label: text(node.label),
		majMin: text(node['maj:min']),
		children,
	};
}

/** Parses `lsblk --json --tree` output of any util-linux since JSON output exists (2.27). */
export function parseLsblkJson(json: string): BlockDevice[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(json);
	} catch (error) {
		throw new LsblkError(`lsblk printed something that is not JSON (${error instanceof Error ? error.message : String(error)})`);
	}

	const list = (parsed as {blockdevices?: unknown})?.blockdevices;
	if (!Array.isArray(list)) {
		throw new LsblkError('lsblk printed JSON without a "blockdevices" list');
	}

	// A null or a number among the devices is not one: skipped, not a crash.
	return list.filter(node => isNode(node)).map(node => toDevice(node));
}

/** Every node of the trees, parents before their children. */
export function* walkDevices(devices: readonly BlockDevice[]): Generator<BlockDevice> {
	for (const device of devices) {
		yield device;
		yield* walkDevices(device.children);
	}
}

/** The mountpoints of a device and of everything under it. */
export function allMountpoints(device: BlockDevice): string[] {
	return [...walkDevices([device])].flatMap(node => node.mountpoints);
}

export type RunLsblkOptions = {
	/** Limit the listing to these devices (paths). */
	devices?: string[];
	/** The lsblk program; tests point it elsewhere. */
	command?: string;
	env?: NodeJS.ProcessEnv;
	timeoutMs?: number;
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv | undefined, timeout: number): Promise<{stdout: string; stderr: string; failed?: Error}> {
	return new Promise(resolve => {
		execFile(command, args, {env, timeout, maxBuffer: 16 * 1024 * 1024}, (error, stdout, stderr) => {
			resolve({stdout: String(stdout), stderr: String(stderr), failed: error ?? undefined});
		});
	});
}

/** Runs lsblk with the wizard's columns, dropping those an older util-linux does not know. */
export async function runLsblk(options: RunLsblkOptions = {}): Promise<BlockDevice[]> {
	const command = options.command ?? 'lsblk';
	let columns: string[] = [...lsblkColumns];
	for (let attempt = 0; attempt < 8; attempt++) {
		const args = ['--json', '--bytes', '--paths', '--tree', '--output', columns.join(','), ...(options.devices ?? [])];
		const result = await run(command, args, options.env, options.timeoutMs ?? 10_000);
		if (!result.failed) {
			return parseLsblkJson(result.stdout);
		}

		const unknown = /unknown column:\s*(\S+)/i.exec(result.stderr);
		if (unknown) {
			const column = unknown[1].toUpperCase();
			const replacement = columnFallbacks[column];
			columns = columns.flatMap(name => (name === column ? (replacement ? [replacement] : []) : [name]));
			continue;
		}

		const code = (result.failed as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') {
			throw new LsblkError('lsblk is not installed (it comes with util-linux)');
		}

		const why = result.stderr.trim().split('\n', 1)[0] || result.failed.message;
		throw new LsblkError(`lsblk failed: ${why}`);
	}

	throw new LsblkError('lsblk rejected every column list');
}
