// What krazy-tui remembers of the updates it drove (device, builds before and after, time, how far it got) and the SBOMs it has seen, in its config folder; and when a rollback is safe.
import {randomBytes} from 'node:crypto';
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {settingsDirectory, type SettingsLocation} from '../settings.js';
import {describeBuild, sameBuild, type BuildRef} from './update-events.js';
import {parseSbom, type Sbom} from './sbom.js';

/**
 * How far an update got. What the inactive root partition holds follows from it: after 'rebooted' the previous
 * build; after 'pushing' or 'pushed' a partial or unverified one, so nothing to roll back to.
 */
export type RecordState =
	| 'pushing'
	| 'pushed'
	| 'switched'
	| 'testboot-set'
	| 'rebooted'
	/** A test boot runs the new build; cmdline.txt still names the old one, so a reboot returns to it. */
	| 'testboot-running'
	| 'not-back';

export type UpdateRecord = {
	id: string;
	device: string;
	/** Base URL without credentials. */
	url: string;
	/** ISO time the record was last written. */
	time: string;
	kind: 'update' | 'rollback';
	from: BuildRef;
	/** What the device runs (or is to run) afterwards. */
	to: BuildRef;
	mode: 'switch' | 'testboot';
	state: RecordState;
	gate?: 'passed' | 'failed';
	archive?: string;
};

export type RollbackDecision =
	| {ok: true; how: 'switch' | 'reboot'; to: BuildRef; record: UpdateRecord}
	| {ok: false; reason: string};

const maxRecords = 500;
const recordsFile = 'updates.json';
const sbomFolder = 'sboms';

async function writeAtomically(file: string, text: string): Promise<void> {
	await mkdir(path.dirname(file), {recursive: true, mode: 0o700});
	const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
	await writeFile(temporary, text, {mode: 0o600});
	await rename(temporary, file);
}

/** The records and the SBOM cache in one folder (krazy-tui's config folder). */
export class UpdateRecords {
	constructor(readonly dir: string) {}

	static newId(): string {
		return randomBytes(8).toString('hex');
	}

	async all(): Promise<UpdateRecord[]> {
		let text: string;
		try {
			text = await readFile(path.join(this.dir, recordsFile), 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
				return [];
			}

			throw new Error(`${path.join(this.dir, recordsFile)}: cannot read (${(error as Error).message})`);
		}

		try {
			const value = JSON.parse(text) as {records?: unknown};
			return Array.isArray(value.records) ? (value.records as UpdateRecord[]).filter(record => typeof record?.device === 'string' && typeof record.id === 'string') : [];
		} catch {
			throw new Error(`${path.join(this.dir, recordsFile)}: not JSON; move it away to start afresh`);
		}
	}

	/** The newest record for a device (by name), or undefined. */
	async last(device: string): Promise<UpdateRecord | undefined> {
		const records = await this.all();
		return records.filter(record => record.device === device).at(-1);
	}

	/** Adds the record, or replaces the one with its id (moved to the end: it is the newest). */
	async put(record: UpdateRecord): Promise<void> {
		const records = (await this.all()).filter(existing => existing.id !== record.id);
		records.push({...record, time: new Date().toISOString()});
		await writeAtomically(path.join(this.dir, recordsFile), `${JSON.stringify({records: records.slice(-maxRecords)}, null, '\t')}\n`);
	}

	/** Keeps an SBOM seen in an archive, so a later update of a device running it can say which packages change. */
	async rememberSbom(text: string): Promise<Sbom> {
		const sbom = parseSbom(text);
		await writeAtomically(path.join(this.dir, sbomFolder, `${sbom.hash}.json`), text);
		return sbom;
	}

	async sbom(hash: string): Promise<Sbom | undefined> {
		if (!/^[0-9a-f]{64}$/.test(hash)) {
			return undefined;
		}

		try {
			return parseSbom(await readFile(path.join(this.dir, sbomFolder, `${hash}.json`), 'utf8'));
		} catch {
			return undefined;
		}
	}
}

/** The records in krazy-tui's config folder (next to config.json), as every command and the demo use them. */
export function updateRecordsAt(location: SettingsLocation): UpdateRecords {
	return new UpdateRecords(path.join(settingsDirectory(location), 'updates'));
}

/**
 * Whether switching to the other root partition gets the previous build back. Only a record of an update krazy-tui
 * finished says so: a card that was only flashed has nothing bootable there, and a push that did not finish left
 * a partial image.
 */
export function rollbackDecision(device: string, record: UpdateRecord | undefined, running: BuildRef): RollbackDecision {
	if (!record) {
		return {ok: false, reason: `${device}: krazy-tui has no record of updating this device, so nothing says its inactive root partition holds a build that boots (a card that was only flashed holds none); not switching`};
	}

	const when = record.time.replace(/\.\d+Z$/, 'Z');
	switch (record.state) {
		case 'pushing':
		case 'pushed':
			return {ok: false, reason: `${device}: an update at ${when} wrote the inactive root partition but did not finish, so it holds no complete previous build; not switching`};
		case 'switched':
		case 'testboot-set':
			return {ok: false, reason: `${device}: switched to ${describeBuild(record.to)} at ${when} and not rebooted since; it boots that build at its next reboot (reboot it, then roll back if needed)`};
		case 'not-back':
			return {ok: false, reason: `${device}: the last update (${when}) never saw the device come back, so krazy-tui does not know which partition it runs; not switching`};
		case 'rebooted':
		case 'testboot-running': {
			if (!sameBuild(running, record.to)) {
				return {ok: false, reason: `${device}: runs ${describeBuild(running)}, not the ${describeBuild(record.to)} krazy-tui's last update left at ${when}; something else changed it since, so krazy-tui does not know what the inactive partition holds`};
			}

			return {ok: true, how: record.state === 'testboot-running' ? 'reboot' : 'switch', to: record.from, record};
		}
	}
}
