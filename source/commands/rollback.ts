// `krazy-tui rollback DEVICE`: boot the build the device ran before krazy-tui's last update of it, then watch and gate as an update does.
import {registryOptionsFrom} from '../core/device-registry.js';
import {runRollback} from '../core/update/update-job.js';
import {updateRecordsAt} from '../core/update/update-records.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, resolveOne, settleMs, timeoutMs, writeLine} from './device-options.js';
import {confirmer, reportFailure} from './update.js';
import {UpdatePrinter} from './update-output.js';

const help = `Usage: krazy-tui rollback DEVICE [--settle SECONDS] [--yes] [--json]

Switches DEVICE to its other root partition and reboots it, then waits for the previous build and holds
the health gate (--settle seconds, default 30), as update does. Only after an update krazy-tui made and
saw through: krazy-tui records every update in its config folder, and refuses, saying why, when no record
shows that the other partition holds the previous build (a card that was only flashed holds nothing
bootable there). After an update with --testboot that was not made permanent, a reboot is all it takes.`;

export const rollbackCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('rollback', args, {
		...deviceFlags,
		settle: {type: 'string'},
		yes: {type: 'boolean', short: 'y'},
		json: {type: 'boolean'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	if (positionals.length !== 1) {
		throw new UsageError('rollback: expected exactly one DEVICE (see krazy-tui rollback --help)');
	}

	const json = values.json === true;
	const settle = settleMs('rollback', values.settle);
	const printer = new UpdatePrinter(io, json);
	const confirm = confirmer('rollback', values, io, printer);
	const {target} = await resolveOne('rollback', positionals[0]!, values, io);
	try {
		await runRollback({
			target,
			records: updateRecordsAt(registryOptionsFrom(io.env)),
			settleMs: settle,
			timeoutMs: timeoutMs('rollback', values),
			confirm,
			onEvent: printer.onEvent,
			signal: io.signal,
		});
		return 0;
	} catch (error) {
		printer.endStatus();
		reportFailure(error, io, json, target);
		return 1;
	}
};
