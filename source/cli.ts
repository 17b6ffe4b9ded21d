#!/usr/bin/env node
// Composition root: picks the subcommand, builds its I/O, imports only what that command needs (the UI lazily).
import {readFileSync} from 'node:fs';
import {DeviceError} from './core/device-error.js';
import {redactUrlsIn} from './core/device-target.js';
import {readLimits} from './core/read-limits.js';
import {oneLine} from './core/sanitize-terminal.js';
import {UsageError, type Command, type CommandIo} from './commands/command-io.js';

const help = `krazy-tui: the terminal cockpit for gokrazy devices

Usage:
  krazy-tui [DEVICE...] [--readonly]     the interactive dashboard over every known device (or the given ones)
  krazy-tui demo                         start the embedded demo device and open the dashboard on it
  krazy-tui demo --serve [--json]        run only the demo device; print how to reach it, serve until killed
  krazy-tui status [DEVICE...] [--json]  devices and their services, once
  krazy-tui logs DEVICE SERVICE [-f] [--stream stdout|stderr|both] [--json]
  krazy-tui restart DEVICE SERVICE [--kill] [--once]
  krazy-tui stop DEVICE SERVICE [--kill]
  krazy-tui start DEVICE SERVICE [--once]
  krazy-tui shell DEVICE [--ssh-port N] [--user NAME] [--identity FILE] [--accept-new]
                  [--upload FILE.tar] [--stop-after] [-- COMMAND...]
  krazy-tui flash [--image FILE --device PATH [--yes] [--no-verify] [--fast] [--json]]
  krazy-tui flash --list [--show-all] [--json]
  krazy-tui wall [DEVICE...]             the read-only monitoring wall
  krazy-tui devices [list|add NAME URL|remove NAME]
  krazy-tui update DEVICE... [--gaf FILE] [--testboot] [--no-reboot] [--settle SECONDS] [--yes] [--json]
  krazy-tui rollback DEVICE [--yes] [--json]
  krazy-tui exporter [DEVICE...] [--listen ADDR:PORT]   serve the devices as Prometheus metrics

DEVICE is a gok instance name (from $GOKRAZY_PARENT_DIR or ~/gokrazy), a saved device name, or a URL
http[s]://[gokrazy:PASSWORD@]host[:port]. --password-file FILE or $KRAZY_PASSWORD also give a password.
SERVICE is a path (/user/golink) or a bare name meaning /user/NAME.
Each command has --help. Exit status: 0 ok, 1 failure (one line on stderr), 2 usage error.`;

const commands: Record<string, () => Promise<Command>> = {
	status: async () => (await import('./commands/status.js')).statusCommand,
	logs: async () => (await import('./commands/logs.js')).logsCommand,
	restart: async () => (await import('./commands/supervise.js')).restartCommand,
	stop: async () => (await import('./commands/supervise.js')).stopCommand,
	start: async () => (await import('./commands/supervise.js')).startCommand,
	devices: async () => (await import('./commands/devices.js')).devicesCommand,
	shell: async () => (await import('./commands/shell.js')).shellCommand,
	flash: async () => (await import('./commands/flash.js')).flashCommand,
	wall: async () => (await import('./commands/wall.js')).wallCommand,
	demo: async () => (await import('./commands/demo-entry.js')).demoEntryCommand,
	dashboard: async () => (await import('./commands/dashboard.js')).dashboardCommand,
	update: async () => (await import('./commands/update.js')).updateCommand,
	rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
	exporter: async () => (await import('./commands/exporter.js')).exporterCommand,
};

function version(): string {
	const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string};
	return manifest.version;
}

async function main(argv: string[]): Promise<number> {
	const [first, ...rest] = argv;
	if (first === '--help' || first === '-h' || first === 'help') {
		process.stdout.write(help + '\n');
		return 0;
	}

	if (first === '--version' || first === '-v') {
		process.stdout.write(version() + '\n');
		return 0;
	}

	// Anything that is not a subcommand (no argument, a device, a flag) opens the dashboard.
	const name = first !== undefined && Object.hasOwn(commands, first) ? first : 'dashboard';
	const args = name === 'dashboard' && first !== 'dashboard' ? argv : rest;
	const controller = new AbortController();
	let signals = 0;
	const onSignal = (signal: NodeJS.Signals) => {
		signals++;
		if (signals > 1) {
			process.exit(signal === 'SIGINT' ? 130 : 143);
		}

		controller.abort();
	};

	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	const io: CommandIo = {
		stdout: process.stdout,
		stderr: process.stderr,
		env: process.env,
		stdoutIsTty: process.stdout.isTTY === true,
		signal: controller.signal,
	};
	const command = await commands[name]!();
	return command(args, io);
}

/** One clean line for stderr: whatever made the message, it carries no escapes, no megabytes and no password. */
function stderrLine(text: string): string {
	return oneLine(redactUrlsIn(text), readLimits.messageChars);
}

function report(error: unknown): number {
	if (error instanceof UsageError) {
		process.stderr.write(`krazy-tui: ${stderrLine(error.message)}\n`);
		return 2;
	}

	if (error instanceof DeviceError) {
		process.stderr.write(`${stderrLine(error.message)}\n`);
		// 'aborted' is Ctrl-C (or SIGTERM) ending the command's requests: the shell's convention for an interrupt.
		return error.kind === 'usage' ? 2 : (error.kind === 'aborted' ? 130 : 1);
	}

	const message = error instanceof Error ? error.message : String(error);
	process.stderr.write(`krazy-tui: ${stderrLine(message.split('\n', 1)[0]!)}\n`);
	if (process.env.KRAZY_DEBUG && error instanceof Error) {
		process.stderr.write(`${error.stack}\n`);
	}

	return 1;
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	// `krazy-tui logs -f … | head` closes the pipe: that is a normal end.
	if (error.code === 'EPIPE') {
		process.exit(0);
	}
});

/** Resolves once what was written to the stream is out (or the stream is gone). */
async function drained(stream: NodeJS.WriteStream): Promise<void> {
	if (stream.writableLength === 0 || stream.destroyed) {
		return;
	}

	await new Promise<void>(resolve => {
		stream.once('drain', resolve);
		stream.once('close', resolve);
		stream.once('error', () => {
			resolve();
		});
	});
}

try {
	process.exitCode = await main(process.argv.slice(2));
} catch (error) {
	process.exitCode = report(error);
}

// The command is done and has awaited all it started: leave now, once stdout and stderr are out, rather than through
// Node's full teardown, which costs 30–150 ms more after a command that held big buffers (the flash writer's).
await Promise.all([drained(process.stdout), drained(process.stderr)]);
process.exit();
