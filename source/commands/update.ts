// `krazy-tui update DEVICE...`: build (gok) or take a gaf, show what changes, push, switch, reboot, watch, gate; several devices one at a time.
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {DeviceTarget} from '../core/device-target.js';
import {registryOptionsFrom} from '../core/device-registry.js';
import {runRollout} from '../core/update/fleet-rollout.js';
import {gokInstanceOf} from '../core/update/gok-build.js';
import {buildForUpdate} from '../core/update/update-build.js';
import {UpdateFailure, type UpdateEvent, type UpdatePlan, type UpdateResult} from '../core/update/update-events.js';
import {runUpdate} from '../core/update/update-job.js';
import {updateRecordsAt} from '../core/update/update-records.js';
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {parseCommandArgs, UsageError, type Command, type CommandIo} from './command-io.js';
import {deviceFlags, resolveOne, settleMs, timeoutMs, writeLine} from './device-options.js';
import {askYesNo, gateTable, planLines, summaryLines, UpdatePrinter} from './update-output.js';

const help = `Usage: krazy-tui update DEVICE... [--gaf FILE] [--testboot] [--no-reboot] [--settle SECONDS] [--yes] [--json]

Updates gokrazy devices over the init's update protocol, one device at a time:
  build     for a gok instance, \`gok overwrite --gaf\` in the instance's parent folder (its output shown);
            or the prebuilt archive given with --gaf FILE
  check     the running build against the archive's (SBOM hash, packages added and removed); asks first
            (--yes: do not ask)
  push      root, device-specific files, boot, MBR, each hash compared with the device's before anything
            is switched
  switch    (--testboot: try the new build once; it is made permanent when the gate passes), reboot
            (--no-reboot: leave the reboot to later; the device boots the new build then)
  wait      until the device answers with the new build (5 minutes at most)
  gate      for --settle seconds (default 30): every service that ran before runs, none restarts more than twice
The first device that fails stops the rollout; the others are left untouched. A failed gate offers
\`krazy-tui rollback DEVICE\`. Ctrl-C stops at once and says where each device stands.
--json: one object per line ({"device", "phase", ...}); see the README.`;

type Values = {
	gaf?: string;
	testboot?: boolean;
	'no-reboot'?: boolean;
	settle?: string;
	yes?: boolean;
	json?: boolean;
	'password-file'?: string;
	timeout?: string;
};

/** Confirmation: --yes, or a question on a terminal; without either nothing may happen. */
export function confirmer(command: string, values: {yes?: boolean; json?: boolean}, io: CommandIo, printer: UpdatePrinter): (plan: UpdatePlan) => Promise<boolean> {
	if (values.yes) {
		return async plan => {
			if (!values.json) {
				for (const line of planLines(plan)) {
					writeLine(io.stdout, line);
				}
			}

			return true;
		};
	}

	if (!process.stdin.isTTY) {
		throw new UsageError(`${command}: nothing confirmed: stdin is not a terminal, so add --yes to go ahead without asking`);
	}

	return async plan => {
		printer.endStatus();
		for (const line of planLines(plan)) {
			writeLine(io.stderr, line);
		}

		return askYesNo(`${plan.kind === 'rollback' ? 'Roll back' : 'Update'} ${plan.device}? [y/N] `, io);
	};
}

/** The one line of a failure, then for a failed gate the table and the way back. */
export function reportFailure(error: unknown, io: CommandIo, json: boolean, target?: DeviceTarget): void {
	if (json) {
		return;
	}

	const message = error instanceof Error ? error.message : String(error);
	if (error instanceof UpdateFailure && error.extra.rows && error.phase === 'gate') {
		for (const line of gateTable(error.extra.rows)) {
			writeLine(io.stdout, line);
		}
	}

	writeLine(io.stderr, sanitizeForTerminal(message));
	if (error instanceof UpdateFailure && error.extra.rollbackOffered) {
		// A URL is repeated without its password: the user gives that as for this command.
		const device = target?.source === 'url' ? `${target.url}  (with its password, as here)` : error.device;
		writeLine(io.stderr, `${error.device}: to go back: krazy-tui rollback ${device}`);
	}
}

export const updateCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('update', args, {
		...deviceFlags,
		gaf: {type: 'string'},
		testboot: {type: 'boolean'},
		'no-reboot': {type: 'boolean'},
		settle: {type: 'string'},
		yes: {type: 'boolean', short: 'y'},
		json: {type: 'boolean'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	if (positionals.length === 0) {
		throw new UsageError('update: expected at least one DEVICE (see krazy-tui update --help)');
	}

	if (new Set(positionals).size !== positionals.length) {
		throw new UsageError('update: a device is named twice');
	}

	const options = values as Values;
	const settle = settleMs('update', options.settle);
	const requestTimeout = timeoutMs('update', options);
	const json = options.json === true;
	const printer = new UpdatePrinter(io, json);
	const confirm = confirmer('update', options, io, printer);
	// Every device is resolved before the first is touched: a typo stops nothing half-way.
	const targets = new Map<string, DeviceTarget>();
	for (const spec of positionals) {
		const {target} = await resolveOne('update', spec, options, io);
		if (options.gaf === undefined && !gokInstanceOf(target)) {
			throw new UsageError(`update: ${target.name} is not a gok instance, so there is nothing to build: give --gaf FILE`);
		}

		if (targets.has(target.name)) {
			throw new UsageError(`update: ${target.name} is named twice`);
		}

		// Rows and messages use the target's name: a URL's password never shows.
		targets.set(target.name, target);
	}

	const records = updateRecordsAt(registryOptionsFrom(io.env));
	const onEvent = (event: UpdateEvent) => printer.onEvent(event);
	const outcome = await runRollout([...targets.keys()], async name => {
		const target = targets.get(name)!;
		let archive = options.gaf;
		let buildDir: string | undefined;
		try {
			if (archive === undefined) {
				buildDir = await mkdtemp(path.join(os.tmpdir(), 'krazy-tui-build-'));
				archive = path.join(buildDir, `${target.name}.gaf`);
				await buildForUpdate(target, archive, {env: io.env, signal: io.signal}, onEvent);
			}

			const result: UpdateResult = await runUpdate({
				target,
				records,
				archive,
				testboot: options.testboot,
				reboot: options['no-reboot'] !== true,
				settleMs: settle,
				timeoutMs: requestTimeout,
				confirm,
				onEvent,
				signal: io.signal,
			});
			return result;
		} catch (error) {
			printer.endStatus();
			reportFailure(error, io, json, target);
			throw error;
		} finally {
			if (buildDir) {
				await rm(buildDir, {recursive: true, force: true});
			}
		}
	}, io.signal);
	printer.endStatus();
	if (targets.size > 1 && !json) {
		for (const line of summaryLines(outcome.rows)) {
			writeLine(io.stdout, line);
		}
	}

	if (json) {
		for (const row of outcome.rows.filter(row => row.outcome === 'untouched')) {
			writeLine(io.stdout, JSON.stringify({device: row.device, phase: 'failed', message: row.message, switched: false, standing: 'untouched'}));
		}
	}

	return outcome.ok ? 0 : 1;
};
