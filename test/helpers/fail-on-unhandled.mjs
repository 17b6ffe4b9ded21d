// Loaded (--import) into every CLI process the tests start: an unhandled rejection ends it with exit 86 and a marker line,
// so a test fails on one even where the command's own exit status would have been 1 anyway.
export const unhandledExitCode = 86;

process.on('unhandledRejection', error => {
	process.stderr.write(`\nKRAZY-TEST: unhandled rejection: ${error instanceof Error ? error.stack : String(error)}\n`);
	process.exit(unhandledExitCode);
});
