// `krazy-tui flash --list` and the unattended `--image … --device …` write (flash.ts parses the command line and loads
// this once it knows the command needs it, with lsblk already running).
import {createInterface} from 'node:readline/promises';
import path from 'node:path';
import os from 'node:os';
import {assessDevicePath, surveyDrives} from '../core/flash/drive-survey.js';
import {refusalLine, type DriveAssessment} from '../core/flash/drive-verdict.js';
import {FlashError, isFlashError} from '../core/flash/flash-error.js';
import type {FlashEvent, FlashOutcome} from '../core/flash/flash-job.js';
import {defaultFlashServices, preloadWriter} from '../core/flash/flash-services.js';
import {runFlashSession} from '../core/flash/flash-session.js';
import {fractionDone, secondsLeft} from '../core/flash/flash-progress.js';
import {doneRecord, type FlashRecord} from '../core/flash/flash-record.js';
import {formatBytes, formatDuration, formatRate} from '../core/flash/flash-units.js';
import {inspectImage, ImageError, type ImageInfo} from '../core/flash/image-source.js';
import {jsonForTerminal} from '../core/sanitize-terminal.js';
import type {CommandIo} from './command-io.js';
import type {BlockDevice} from '../core/flash/lsblk.js';
import type {FlashValues as Values} from './flash.js';

function line(stream: NodeJS.WritableStream, text: string): void {
	stream.write(`${text}\n`);
}

export type DeviceListing = {
	path: string;
	size: number;
	model: string;
	transport: string;
	removable: boolean;
	type: string;
	mounted: string[];
	verdict: DriveAssessment['verdict'];
	reasons: string[];
};

export function listingOf(assessment: DriveAssessment): DeviceListing {
	const {device} = assessment;
	return {
		path: device.path,
		size: device.size,
		model: [device.vendor, device.model].filter(Boolean).join(' '),
		transport: device.transport,
		removable: device.removable || device.hotplug,
		type: device.type,
		mounted: assessment.mounted,
		verdict: assessment.verdict,
		reasons: assessment.reasons.map(reason => reason.text),
	};
}

function table(rows: string[][]): string[] {
	const widths = rows[0].map((_, column) => Math.max(...rows.map(row => row[column].length)));
	return rows.map(row => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd());
}

export async function list(values: Values, io: CommandIo): Promise<number> {
	const image = values.image ? await inspectImage(values.image) : undefined;
	const drives = await surveyDrives({showAll: values['show-all'], image: image && {path: image.path, size: image.size}});
	const listings = drives.map(drive => listingOf(drive));
	if (values.json) {
		line(io.stdout, jsonForTerminal({devices: listings}));
		return 0;
	}

	if (listings.length === 0) {
		line(io.stdout, `No ${values['show-all'] ? '' : 'removable or fixed '}disks found${values['show-all'] ? '' : ' (--show-all also lists loop devices)'}.`);
		return 0;
	}

	const rows = [['PATH', 'SIZE', 'MODEL', 'TRAN', 'VERDICT', 'REASONS']];
	for (const listing of listings) {
		rows.push([listing.path, formatBytes(listing.size), listing.model || '-', listing.transport || '-', listing.verdict, listing.reasons.join('; ') || '-']);
	}

	for (const row of table(rows)) {
		line(io.stdout, row);
	}

	return 0;
}

/** The names a user may type to accept a warn verdict: the path as given, the kernel's path, or its bare name. */
export function confirmationMatches(typed: string, assessment: DriveAssessment, given: string): boolean {
	const answer = typed.trim();
	return answer !== '' && [given, assessment.device.path, path.basename(assessment.device.path)].includes(answer);
}

async function ask(question: string): Promise<string> {
	const prompt = createInterface({input: process.stdin, output: process.stderr});
	try {
		return await prompt.question(question);
	} finally {
		prompt.close();
	}
}

class ProgressPrinter {
	private phase = '';
	constructor(private readonly io: CommandIo, private readonly json: boolean) {}

	record(record: FlashRecord | {phase: 'build'; line: string}): void {
		if (record.phase === 'power-off') {
			// Not one of the --json phases: a brief step the summary reports on.
			return;
		}

		if (this.json) {
			line(this.io.stdout, jsonForTerminal(record));
			return;
		}

		if (record.phase === 'build') {
			line(this.io.stderr, `gok: ${record.line}`);
			return;
		}

		if (record.phase === 'write' || record.phase === 'verify') {
			if (record.phase !== this.phase) {
				this.endLine();
				this.phase = record.phase;
				if (!this.io.stdoutIsTty) {
					line(this.io.stdout, record.phase === 'write' ? 'Writing…' : 'Verifying…');
				}
			}

			if (this.io.stdoutIsTty) {
				this.io.stdout.write(`\r\u001B[K${progressText(record)}`);
			}
		}
	}

	endLine(): void {
		if (this.phase && this.io.stdoutIsTty) {
			this.io.stdout.write('\n');
		}

		this.phase = '';
	}
}

export function progressText(event: FlashEvent): string {
	if (event.phase === 'power-off') {
		return 'Powering the card off…';
	}

	const percent = `${Math.floor(fractionDone(event) * 100)}%`.padStart(4);
	const total = event.phase === 'verify' || event.total !== null ? formatBytes((event.phase === 'verify' ? event.total : event.total) ?? 0) : 'unknown total';
	const left = secondsLeft(event);
	const eta = left === undefined ? '' : `  ETA ${formatDuration(left)}`;
	const verb = event.phase === 'write' ? 'Writing' : 'Verifying';
	return `${verb} ${percent}  ${formatBytes(event.bytes)} of ${total}  ${formatRate(event.bytesPerSecond)}${eta}`;
}

export function summaryLines(outcome: FlashOutcome, devicePath: string): string[] {
	const lines = [`Wrote ${formatBytes(outcome.imageBytes)} to ${devicePath} in ${formatDuration(outcome.writeSeconds)}${outcome.sha256 ? ` (sha256 ${outcome.sha256})` : ''}.`];
	if (outcome.fast) {
		lines.push(`Fast mode: ${formatBytes(outcome.writtenBytes)} written, ${formatBytes(outcome.skippedBytes)} of zeros skipped.`);
	}

	lines.push(outcome.verified ? `Verified: the card reads back identical (${formatDuration(outcome.verifySeconds)}).` : 'Not verified (--no-verify).');
	if (outcome.powerOff) {
		lines.push(`${outcome.powerOff.message[0].toUpperCase()}${outcome.powerOff.message.slice(1)}.`);
	}

	lines.push('Next: put the card into the device and power it on; it shows up in the dashboard under its hostname once it has booted.');
	return lines;
}

async function accept(assessment: DriveAssessment, values: Values, image: string): Promise<void> {
	const given = values.device ?? assessment.device.path;
	if (assessment.verdict === 'refuse') {
		throw new FlashError(assessment.device.path, 'refused', refusalLine(assessment).slice(assessment.device.path.length + 2));
	}

	if (values.confirm !== undefined && !confirmationMatches(values.confirm, assessment, given)) {
		throw new FlashError(given, 'refused', `--confirm ${values.confirm} does not name this device, refusing`);
	}

	const confirmed = values.yes || values.confirm !== undefined;
	const interactive = Boolean(process.stdin.isTTY) && !values.json;
	const reasons = assessment.reasons.map(reason => reason.text).join(', ');
	if (assessment.verdict === 'warn' && !confirmed) {
		if (!interactive) {
			throw new FlashError(given, 'refused', `${reasons}; pass --confirm ${given} (or --yes) to write to it anyway, refusing`);
		}

		const typed = await ask(`${given} ${reasons}.\nEverything on it will be lost. Type its name (${path.basename(assessment.device.path)}) to write ${image} to it: `);
		if (!confirmationMatches(typed, assessment, given)) {
			throw new FlashError(given, 'refused', 'not confirmed, nothing written');
		}
	} else if (!confirmed) {
		if (!interactive) {
			throw new FlashError(given, 'refused', 'pass --yes to write without asking, refusing');
		}

		const answer = await ask(`Write ${image} to ${given} (${formatBytes(assessment.device.size)} ${assessment.device.model})? Everything on it will be lost. [y/N] `);
		if (!/^y(es)?$/i.test(answer.trim())) {
			throw new FlashError(given, 'refused', 'not confirmed, nothing written');
		}
	}

	// The session unmounts with --unmount; without it, refused here with the flag to pass.
	if (assessment.mounted.length > 0 && !values.unmount) {
		throw new FlashError(given, 'busy', `mounted at ${assessment.mounted.join(', ')}; unmount first (or pass --unmount), refusing`);
	}
}

/** The write without the wizard; `devices`: lsblk's answer, asked for as soon as the command line was read. */
export async function flashUnattended(values: Values, io: CommandIo, devices?: Promise<BlockDevice[]>): Promise<number> {
	const json = Boolean(values.json);
	const printer = new ProgressPrinter(io, json);
	const devicePath = values.device!;
	try {
		// The writer loads while the image is read and lsblk runs (a process of its own).
		preloadWriter().catch(() => undefined);
		// The image is read while the device is checked; a bad image is still the error told first.
		const reading = values.image ? inspectImage(values.image) : undefined;
		const surveyImage = reading?.then(info => ({path: info.path, size: info.size}));
		// Told below, or never looked at when the device is refused first.
		surveyImage?.catch(() => undefined);
		let drive: DriveAssessment;
		try {
			drive = await assessDevicePath(devicePath, {image: surveyImage, devices});
		} catch (error) {
			await reading;
			throw error;
		}

		const image: ImageInfo | undefined = await reading;
		await accept(drive, values, values.image ?? `gok instance ${values.instance}`);
		const outcome = await runFlashSession({
			drive,
			source: image ? {image} : {instance: values.instance!},
			unmount: Boolean(values.unmount),
			fast: values.fast,
			verify: !values['no-verify'],
			powerOff: !values['no-power-off'],
		}, defaultFlashServices(io.env, os.homedir()), {
			signal: io.signal,
			askSudoPassword: Boolean(process.stdin.isTTY),
			onEvent(event) {
				if (event.type === 'build-output') {
					printer.record({phase: 'build', line: event.line});
				} else if (event.type === 'progress') {
					printer.record(event.progress);
				} else if (event.type === 'sudo' || event.type === 'power-off') {
					// sudo's prompt, or the last step, starts on a line of its own.
					printer.endLine();
				}
			},
		});
		printer.endLine();
		if (json) {
			printer.record(doneRecord(outcome));
		} else {
			for (const text of summaryLines(outcome, devicePath)) {
				line(io.stdout, text);
			}
		}

		return 0;
	} catch (error) {
		printer.endLine();
		const message = isFlashError(error) || error instanceof ImageError ? error.message : `${devicePath}: ${error instanceof Error ? error.message : String(error)}`;
		if (json) {
			printer.record({phase: 'error', message, ...(isFlashError(error) ? {kind: error.kind} : {})});
		}

		line(io.stderr, message.split('\n', 1)[0]);
		return 1;
	}
}

