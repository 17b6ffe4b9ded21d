// Surveys the block devices for the wizard and the CLI: lsblk, the disks holding the image and the running system, a verdict each.
import {devicesHoldingFile, requireBlockDevice, systemDeviceNumbers} from './block-device.js';
import {findDevice, judgeDrive, offeredDevices, type DriveAssessment, type VerdictContext} from './drive-verdict.js';
import {FlashError} from './flash-error.js';
import {runLsblk, type BlockDevice, type RunLsblkOptions} from './lsblk.js';

export type SurveyOptions = {
	showAll?: boolean;
	/** The image to be written: its size and where it lives enter the verdicts. */
	image?: {path: string; size?: number};
	lsblk?: RunLsblkOptions;
};

async function contextFor(devices: readonly BlockDevice[], options: SurveyOptions): Promise<VerdictContext> {
	const [holders, system] = await Promise.all([
		options.image ? devicesHoldingFile(options.image.path, devices) : Promise.resolve(new Set<string>()),
		systemDeviceNumbers(),
	]);
	return {imageSize: options.image?.size, imagePath: options.image?.path, imageHolders: holders, systemDeviceNumbers: system};
}

/** The devices the wizard offers (loop, zram and optical only with showAll), each with its verdict. */
export async function surveyDrives(options: SurveyOptions = {}): Promise<DriveAssessment[]> {
	const devices = await runLsblk(options.lsblk);
	const context = await contextFor(devices, options);
	return offeredDevices(devices, options.showAll ?? false).map(device => judgeDrive(device, context));
}

/** The verdict on one path given with --device (symlinks resolved; partitions found too, to be refused). */
export async function assessDevicePath(devicePath: string, options: SurveyOptions = {}): Promise<DriveAssessment> {
	const target = await requireBlockDevice(devicePath);

	const devices = await runLsblk(options.lsblk);
	const device = findDevice(devices, target.resolved)
		?? [...devices].find(candidate => candidate.majMin !== '' && candidate.majMin === target.majMin);
	if (!device) {
		throw new FlashError(devicePath, 'refused', 'lsblk does not list it, refusing');
	}

	return judgeDrive(device, await contextFor(devices, options));
}
