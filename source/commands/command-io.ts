// The contract between the composition root and each scripted subcommand: arguments in, exit status out.
import {parseArgs, type ParseArgsConfig} from 'node:util';

export type CommandIo = {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
	env: NodeJS.ProcessEnv;
	/** stdout is a terminal: log lines are sanitised for it, progress may be drawn. */
	stdoutIsTty: boolean;
	/** Aborted on SIGINT/SIGTERM so long-running commands (logs -f, demo --serve) end cleanly. */
	signal: AbortSignal;
};

/** A subcommand: gets the arguments after its own name, returns the exit status (0, 1, or 2 for usage). */
export type Command = (args: string[], io: CommandIo) => Promise<number>;

/** Thrown for bad arguments: the root prints the message and exits 2. */
export class UsageError extends Error {
	override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with strict checking, its errors turned into UsageErrors naming the command. */
export function parseCommandArgs<T extends Options>(command: string, args: string[], options: T) {
	try {
		return parseArgs({args, options, allowPositionals: true, strict: true});
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		throw new UsageError(`${command}: ${message.replace(/\. To specify a positional argument.*$/s, '')}`);
	}
}
