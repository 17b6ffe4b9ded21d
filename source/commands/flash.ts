// `krazy-tui flash`: the wizard on a terminal, `--list` of the devices with verdicts, and the unattended `--image … --device …` write.
import os from 'node:os';
import {runLsblk} from '../core/flash/lsblk.js';
import {parseCommandArgs, UsageError, type Command, type CommandIo} from './command-io.js';

const help = `Usage: krazy-tui flash                      the flashing wizard (needs a terminal)
       krazy-tui flash --list [--show-all] [--image FILE] [--json]
       krazy-tui flash --image FILE --device PATH [--yes | --confirm PATH] [--fast] [--no-verify] [--json]
       krazy-tui flash --instance NAME --device PATH [--yes | --confirm PATH] [...]

Writes a gokrazy image (raw .img, .img.gz, .img.xz, .img.zst) to an SD card, verifies it, and powers the card off.
  --list          the block devices the wizard would offer, each with its verdict (ok, warn, refuse) and reasons
  --show-all      list loop, zram and optical devices too
  --instance NAME build the gok instance NAME with gok overwrite --full for the card, then write that
  --yes           write without asking (also on a warn verdict; a refuse verdict is never overridden)
  --confirm PATH  accept a warn verdict for exactly this device, like typing its name in the wizard
  --unmount       unmount the card's mounted partitions first (a card with mounted partitions is refused otherwise)
  --fast          write only the image's non-zero blocks; stale file systems in skipped partitions are invalidated
  --no-verify     skip reading the card back
  --no-power-off  leave the card powered when done
  --json          one JSON object per line on stdout: progress, then {"phase":"done",…} or {"phase":"error",…}`;

const options = {
	list: {type: 'boolean'},
	'show-all': {type: 'boolean'},
	json: {type: 'boolean'},
	image: {type: 'string'},
	instance: {type: 'string'},
	device: {type: 'string'},
	yes: {type: 'boolean', short: 'y'},
	confirm: {type: 'string'},
	unmount: {type: 'boolean'},
	fast: {type: 'boolean'},
	'no-verify': {type: 'boolean'},
	'no-power-off': {type: 'boolean'},
	help: {type: 'boolean', short: 'h'},
} as const;

export type FlashValues = {
	list?: boolean;
	'show-all'?: boolean;
	json?: boolean;
	image?: string;
	instance?: string;
	device?: string;
	yes?: boolean;
	confirm?: string;
	unmount?: boolean;
	fast?: boolean;
	'no-verify'?: boolean;
	'no-power-off'?: boolean;
};

function line(stream: NodeJS.WritableStream, text: string): void {
	stream.write(`${text}\n`);
}

async function wizard(values: FlashValues, io: CommandIo): Promise<number> {
	if (!process.stdin.isTTY || !io.stdoutIsTty) {
		line(io.stderr, 'flash: the wizard needs a terminal; without one use krazy-tui flash --image FILE --device PATH [--yes] (krazy-tui flash --list shows the devices)');
		return 1;
	}

	const {runFlashWizard} = await import('../ui/flash/run-flash-wizard.js');
	return runFlashWizard({showAll: values['show-all'], initialImage: values.image, env: io.env, home: os.homedir()});
}

export const flashCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('flash', args, options);
	if (values.help) {
		line(io.stdout, help);
		return 0;
	}

	if (positionals.length > 0) {
		throw new UsageError(`flash: unexpected argument ${JSON.stringify(positionals[0])} (see krazy-tui flash --help)`);
	}

	if (values.image !== undefined && values.instance !== undefined) {
		throw new UsageError('flash: --image and --instance are two sources; give one');
	}

	if (values.list) {
		try {
			const {list} = await import('./flash-run.js');
			return await list(values, io);
		} catch (error) {
			line(io.stderr, error instanceof Error ? error.message : String(error));
			return 1;
		}
	}

	if (values.device !== undefined) {
		if (values.image === undefined && values.instance === undefined) {
			throw new UsageError('flash: --device needs --image FILE or --instance NAME');
		}

		// lsblk (a process of its own, some 30 ms) starts now, while the rest of the command and the writer load: the card
		// is opened as soon as its verdict allows, not a module load later.
		const devices = runLsblk();
		devices.catch(() => undefined);
		const {flashUnattended} = await import('./flash-run.js');
		return flashUnattended(values, io, devices);
	}

	if (values.instance !== undefined || values.yes || values.confirm !== undefined) {
		throw new UsageError('flash: --device PATH is missing (krazy-tui flash --list shows the candidates)');
	}

	return wizard(values, io);
};
