// Whether a block device may receive an image: ok, warn (the user types its name) or refuse, each with its reasons.
import {allMountpoints, walkDevices, type BlockDevice} from './lsblk.js';
import {formatBytes} from './flash-units.js';

export type Verdict = 'ok' | 'warn' | 'refuse';

export type ReasonCode =
	| 'read-only'
	| 'no-medium'
	| 'too-small'
	| 'system-mount'
	| 'system-device'
	| 'holds-image'
	| 'not-whole-disk'
	| 'not-removable'
	| 'large'
	| 'mounted';

export type DriveReason = {code: ReasonCode; severity: 'refuse' | 'warn'; text: string};

export type DriveAssessment = {
	device: BlockDevice;
	verdict: Verdict;
	reasons: DriveReason[];
	/** Every mountpoint on the device or its partitions. */
	mounted: string[];
	/** Mounted, but nothing of the running system: the wizard offers to unmount. */
	canUnmount: boolean;
};

export type VerdictContext = {
	/** The image's size in bytes, when known (not for gzip). */
	imageSize?: number;
	imagePath?: string;
	/** Paths of the devices (disks or partitions) on which the image file lives. */
	imageHolders?: ReadonlySet<string>;
	/** MAJ:MIN of the devices that hold /, /boot, /usr… by stat(2), for when lsblk sees no mounts (containers). */
	systemDeviceNumbers?: ReadonlySet<string>;
};

/** Cards bigger than this are more likely a backup disk than an SD card. */
export const largeDriveBytes = 128 * 1000 ** 3;

const systemTrees = ['/boot', '/usr', '/var', '/etc', '/opt', '/srv', '/nix', '/gnu', '/root', '/efi', '/snap', '/lib', '/bin', '/sbin'];

/**
 * A mountpoint the running system needs: /, swap, /boot… and everything under them, /home and each home folder
 * itself. Removable media (/media, /run/media, /mnt, anything else) is not.
 */
export function isSystemMountpoint(mountpoint: string): boolean {
	if (mountpoint === '/' || mountpoint === '[SWAP]' || mountpoint === '/home') {
		return true;
	}

	if (/^\/home\/[^/]+$/.test(mountpoint)) {
		return true;
	}

	return systemTrees.some(tree => mountpoint === tree || mountpoint.startsWith(`${tree}/`));
}

/** Loop, zram and optical drives: never SD cards, listed only with --show-all. */
export function isHiddenByDefault(device: BlockDevice): boolean {
	return device.type === 'loop' || device.type === 'rom' || /(^|\/)(zram|ram)\d+$/.test(device.name);
}

const removableSubsystems = new Set(['usb', 'mmc', 'sdio', 'memstick']);

export function isRemovable(device: BlockDevice): boolean {
	return device.removable || device.hotplug || device.subsystems.some(part => removableSubsystems.has(part))
		|| device.transport === 'usb' || device.transport === 'mmc';
}

function describeMount(mountpoint: string): string {
	return mountpoint === '[SWAP]' ? 'in use as swap' : `mounted at ${mountpoint}`;
}

/** The verdict on one device for one image. Pure: everything it needs comes in. */
export function judgeDrive(device: BlockDevice, context: VerdictContext = {}): DriveAssessment {
	const reasons: DriveReason[] = [];
	const refuse = (code: ReasonCode, text: string) => reasons.push({code, severity: 'refuse', text});
	const warn = (code: ReasonCode, text: string) => reasons.push({code, severity: 'warn', text});
	const mounted = allMountpoints(device);

	if (device.type !== 'disk' && device.type !== 'loop') {
		refuse('not-whole-disk', device.type === 'part' ? 'is a partition, not a whole disk' : `is a ${device.type || 'device'}, not a whole disk`);
	}

	if (device.readOnly) {
		refuse('read-only', 'is read-only (write-protect switch?)');
	}

	if (device.size === 0) {
		refuse('no-medium', 'has no medium (no card in the reader?)');
	} else if (context.imageSize !== undefined && device.size < context.imageSize) {
		refuse('too-small', `is smaller than the image (${formatBytes(device.size)} < ${formatBytes(context.imageSize)})`);
	}

	const systemMounts = mounted.filter(mountpoint => isSystemMountpoint(mountpoint));
	for (const mountpoint of systemMounts) {
		refuse('system-mount', describeMount(mountpoint));
	}

	const nodes = [...walkDevices([device])];
	if (systemMounts.length === 0 && context.systemDeviceNumbers && nodes.some(node => node.majMin !== '' && context.systemDeviceNumbers?.has(node.majMin))) {
		refuse('system-device', 'holds the running system');
	}

	if (context.imageHolders && nodes.some(node => context.imageHolders?.has(node.path))) {
		refuse('holds-image', `holds the image file${context.imagePath ? ` ${context.imagePath}` : ''}`);
	}

	if (!isRemovable(device) && device.type !== 'loop') {
		warn('not-removable', 'is not removable (an internal disk?)');
	}

	if (device.size > largeDriveBytes) {
		warn('large', `is larger than ${formatBytes(largeDriveBytes)} (${formatBytes(device.size)}): a backup disk?`);
	}

	const otherMounts = mounted.filter(mountpoint => !isSystemMountpoint(mountpoint));
	for (const mountpoint of otherMounts) {
		warn('mounted', describeMount(mountpoint));
	}

	const verdict: Verdict = reasons.some(reason => reason.severity === 'refuse') ? 'refuse' : reasons.length > 0 ? 'warn' : 'ok';
	return {device, verdict, reasons, mounted, canUnmount: otherMounts.length > 0 && systemMounts.length === 0};
}

/** One line for the user: "/dev/sda: mounted at /, refusing". */
export function refusalLine(assessment: DriveAssessment): string {
	const refusals = assessment.reasons.filter(reason => reason.severity === 'refuse').map(reason => reason.text);
	return `${assessment.device.path}: ${refusals.join(', ')}, refusing`;
}

/** The top-level devices the wizard offers, in lsblk order. */
export function offeredDevices(devices: readonly BlockDevice[], showAll: boolean): BlockDevice[] {
	return devices.filter(device => showAll || !isHiddenByDefault(device));
}

/** A device (disk or partition) by its path anywhere in the tree. */
export function findDevice(devices: readonly BlockDevice[], path: string): BlockDevice | undefined {
	for (const node of walkDevices(devices)) {
		if (node.path === path || node.name === path) {
			return node;
		}
	}

	return undefined;
}
