// Surveys the block devices for the wizard and the CLI: lsblk, the disks holding the image and the running system, a verdict each.
import {devicesHoldingFile, requireBlockDevice, systemDeviceNumbers} from './block-device.js';
import {findDevice, judgeDrive, offeredDevices, type DriveAssessment, type VerdictContext} from './drive-verdict.js';
import {FlashError} from './flash-error.js';
import {runLsblk, type BlockDevice, type RunLsblkOptions} from './lsblk.js';

export type SurveyImage = {path: string; size?: number};

export type SurveyOptions = {
	showAll?: boolean;
	/** The image to be written: its size and where it lives enter the verdicts (may still be being read). */
	image?: SurveyImage | Promise<SurveyImage | undefined>;
	lsblk?: RunLsblkOptions;
	/** lsblk's answer when it was asked for already (assessDevicePath), instead of running it again. */
	devices?: Promise<BlockDevice[]>;
};

async function contextFor(devices: readonly BlockDevice[], options: SurveyOptions, system: Promise<Set<string>> = systemDeviceNumbers()): Promise<VerdictContext> {
	const image = await options.image;
	const [holders, systemNumbers] = await Promise.all([
		image ? devicesHoldingFile(image.path, devices) : Promise.resolve(new Set<string>()),
		system,
	]);
	return {imageSize: image?.size, imagePath: image?.path, imageHolders: holders, systemDeviceNumbers: systemNumbers};
}

/** The devices the wizard offers (loop, zram and optical only with showAll), each with its verdict. */
export async function surveyDrives(options: SurveyOptions = {}): Promise<DriveAssessment[]> {
	const devices = await runLsblk(options.lsblk);
	const context = await contextFor(devices, options);
	return offeredDevices(devices, options.showAll ?? false).map(device => judgeDrive(device, context));
}

/** The verdict on one path given with --device (symlinks resolved; partitions found too, to be refused). */
export async function assessDevicePath(devicePath: string, options: SurveyOptions = {}): Promise<DriveAssessment> {
	// lsblk (a process of its own) and the system's disks are asked for while the path is checked: a refusal of the
	// path still comes first, and nothing of them is used before it.
	const lsblk = options.devices ?? runLsblk(options.lsblk);
	const system = systemDeviceNumbers();
	lsblk.catch(() => undefined);
	system.catch(() => undefined);
	const target = await requireBlockDevice(devicePath);
	const devices = await lsblk;
	const device = findDevice(devices, target.resolved)
		?? [...devices].find(candidate => candidate.majMin !== '' && candidate.majMin === target.majMin);
	if (!device) {
		throw new FlashError(devicePath, 'refused', 'lsblk does not list it, refusing');
	}

	return judgeDrive(device, await contextFor(devices, options, system));
}
