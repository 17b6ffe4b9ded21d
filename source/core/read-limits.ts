// Every bound on what krazy-tui reads from a device, in one place: bytes per answer, line, event and buffer, and time.
//
// A device is what the user opens krazy-tui for when something is wrong, so it may answer anything: huge pages,
// lines that never end, bodies that never finish. Each reader takes its bound from here, so a hostile device costs
// at most these amounts and never more, and a reviewer can see them all at once.

const kib = 1024;
const mib = 1024 * 1024;

export const readLimits = {
	/** A whole answer read at once: the JSON and HTML overviews, service status (gokrazy's are well under 1 MiB). */
	answerBytes: 32 * mib,
	/** What is kept of an error answer's body (non-200): only its first line is ever shown. */
	errorBodyBytes: 16 * kib,
	/** How long an error answer's body may take to arrive; what came by then is used. */
	errorBodyMs: 1000,
	/** A node exporter's /metrics answer (a real one is 50–200 KiB). */
	metricsBytes: 8 * mib,
	/**
	 * One log line as received (one SSE field line): longer lines keep their head and say "… N bytes cut". Under
	 * V8's large-object size (128 KiB) on purpose: a flood of cut lines is then young garbage, freed by the cheap
	 * minor GC (at 256 KiB a flood of 512 KiB lines pushed `logs -f` to a 300 MB sawtooth). The reconnect aligner
	 * remembers the last 100 lines per stream, so this times 200 is also what a stream may hold.
	 */
	logLineBytes: 64 * kib,
	/** One SSE event (its data lines joined): an event that never ends is cut like a long line. */
	sseEventBytes: 64 * kib + 8 * kib,
	/** Lines of one followed log waiting in a batch before it is handed on regardless of the batch timer. */
	logBatchBytes: 4 * mib,
	/** Bytes of lines a slow reader of a log stream (a blocked stdout pipe) may fall behind before the oldest are dropped. */
	logQueueBytes: 16 * mib,
	/** The text a log buffer (the dashboard's log view) keeps, besides its line cap: the oldest lines go first. */
	logBufferBytes: 32 * mib,
	/** One line shown in a log view (a longer one is cut for display; its length is remembered). */
	logViewLineChars: 8192,
	/** A device string inside a one-line message (an error body, a name). */
	messageFieldChars: 200,
	/** A whole one-line message on stderr or in a status bar. */
	messageChars: 1000,
} as const;

/** The visible marker a cut line ends with. */
export function cutMarker(bytesCut: number): string {
	return ` … ${bytesCut} bytes cut`;
}
