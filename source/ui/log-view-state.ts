// The log view's state and its reducer: follow or paused scrollback, search, filter, streams, wrap; and the windowing.
//
// Follow rules: moving (arrows, pages, g, n/N) pauses, G or F follows again; committing a search or a filter never
// changes following or pausing by itself (a followed log keeps following with the matches lit; a paused one stays
// where it is, as near as the filter lets it). A paused view is frozen: its buffer keeps its lines.
import type {LogBuffer, LogEntry} from '../core/log-buffer.js';
import {columnChunks, expandTabs, textWidth} from '../display/columns.js';

export type StreamChoice = 'both' | 'stdout' | 'stderr';

export type LogViewState = {
	readonly follow: boolean;
	/** Paused: the sequence number of the first entry shown. */
	readonly topSeq: number;
	readonly streams: StreamChoice;
	readonly wrap: boolean;
	/** The committed search (highlighted; n/N jump); empty for none. */
	readonly search: string;
	/** The committed filter: only matching lines are shown. */
	readonly filter: string;
	/** A search or filter being typed. */
	readonly input: {readonly kind: 'search' | 'filter'; readonly text: string} | null;
	/** Sequence number of the match n/N went to. */
	readonly currentMatch: number | null;
	readonly notice: string | null;
	/** The buffer's next sequence number when the view paused: what arrived since is counted. */
	readonly pausedAt: number | null;
	/** Show the time each line was received. */
	readonly times: boolean;
	/** Copy mode: the bare text, wrapped, without stream marks, wrap marks or highlights, for a mouse selection. */
	readonly copy: boolean;
};

export const initialLogViewState: LogViewState = {
	follow: true,
	topSeq: 0,
	streams: 'both',
	wrap: false,
	search: '',
	filter: '',
	input: null,
	currentMatch: null,
	notice: null,
	pausedAt: null,
	times: false,
	copy: false,
};

/** What the reducer needs to know about the screen and the buffer at the time of a key. */
export type LogViewport = {buffer: LogBuffer; rows: number; width: number};

/** Columns the stream mark takes (`out│`). */
export const logPrefixWidth = 4;

/** Columns the receive-time column takes (`12:34:56.789 `). */
export const logTimeWidth = 13;

/** Columns before a line's text in this state: none in copy mode. */
export function logLeadWidth(state: Pick<LogViewState, 'times' | 'copy'>): number {
	return state.copy ? 0 : logPrefixWidth + (state.times ? logTimeWidth : 0);
}

/**
 * A search or filter as typed: `/re/` is a regular expression (case-insensitive), a leading `!` inverts a filter
 * (lines NOT matching); anything else is plain text, case-insensitive. `\!` searches for a literal `!`.
 */
export type LogQuery = {
	readonly text: string;
	readonly inverse: boolean;
	readonly regex: RegExp | null;
	readonly plain: string;
	readonly error?: string;
};

const queryCache = new Map<string, LogQuery>();

export function parseQuery(text: string, options: {allowInverse: boolean} = {allowInverse: true}): LogQuery {
	const key = `${options.allowInverse ? '!' : ''}${text}`;
	const cached = queryCache.get(key);
	if (cached) {
		return cached;
	}

	let body = text;
	let inverse = false;
	if (options.allowInverse && body.startsWith('!')) {
		inverse = true;
		body = body.slice(1);
	} else if (body.startsWith('\\!')) {
		body = body.slice(1);
	}

	let query: LogQuery;
	const regexForm = /^\/(.+)\/$/s.exec(body);
	if (regexForm) {
		try {
			query = {text, inverse, regex: new RegExp(regexForm[1]!, 'giu'), plain: ''};
		} catch (error) {
			query = {text, inverse, regex: null, plain: body.toLowerCase(), error: `not a regular expression: ${(error as Error).message}`};
		}
	} else {
		query = {text, inverse, regex: null, plain: body.toLowerCase()};
	}

	if (queryCache.size > 32) {
		queryCache.clear();
	}

	queryCache.set(key, query);
	return query;
}

/** Where a query matches in `text`: [start, end) pairs, in order, not overlapping. */
export function matchRanges(text: string, query: LogQuery): Array<[number, number]> {
	const ranges: Array<[number, number]> = [];
	if (query.regex) {
		const regex = query.regex;
		regex.lastIndex = 0;
		for (let match = regex.exec(text); match; match = regex.exec(text)) {
			if (match[0] === '') {
				regex.lastIndex++;
				continue;
			}

			ranges.push([match.index, match.index + match[0].length]);
		}

		return ranges;
	}

	if (query.plain === '') {
		return ranges;
	}

	const lower = text.toLowerCase();
	for (let found = lower.indexOf(query.plain); found !== -1; found = lower.indexOf(query.plain, found + query.plain.length)) {
		ranges.push([found, found + query.plain.length]);
	}

	return ranges;
}

function queryMatches(text: string, query: LogQuery): boolean {
	if (query.regex) {
		query.regex.lastIndex = 0;
		return query.regex.test(text);
	}

	return query.plain !== '' && text.toLowerCase().includes(query.plain);
}

/** A search matches this text (regex or plain; inversion does not apply to searches). */
export function searchMatches(text: string, search: string): boolean {
	return search !== '' && queryMatches(text, parseQuery(search, {allowInverse: false}));
}

export type LogRow = {
	readonly seq: number;
	readonly kind: 'line' | 'gap';
	readonly stream?: 'stdout' | 'stderr';
	/** This row's part of the entry's text. */
	readonly text: string;
	/** Offset of `text` within the whole entry text (for highlighting across wrapped rows). */
	readonly offset: number;
	readonly continuation: boolean;
	readonly cutFrom?: number;
	/** When the entry was received (ms since the epoch). */
	readonly at?: number;
	/** A marker that is a note, not a loss. */
	readonly note?: boolean;
};

export type LogWindow = {
	readonly rows: LogRow[];
	/** Entries passing the stream choice and filter. */
	readonly visibleCount: number;
	/** The window shows the newest entry. */
	readonly atEnd: boolean;
	readonly firstSeq: number | null;
	readonly lastSeq: number | null;
	/** Lines matching the search among the visible ones. */
	readonly matchCount: number;
	/** The position of the current match among them (1-based), or null. */
	readonly matchIndex: number | null;
};

export function entryVisible(entry: LogEntry, state: Pick<LogViewState, 'streams' | 'filter'>): boolean {
	if (entry.kind === 'gap') {
		return true;
	}

	if (state.streams !== 'both' && entry.stream !== state.streams) {
		return false;
	}

	if (state.filter === '') {
		return true;
	}

	const query = parseQuery(state.filter);
	return queryMatches(entry.text, query) !== query.inverse;
}

export function includesFolded(text: string, query: string): boolean {
	return query !== '' && text.toLowerCase().includes(query.toLowerCase());
}

/** Rows one entry takes at this width. */
function entryRows(entry: LogEntry, width: number, state: Pick<LogViewState, 'wrap' | 'times' | 'copy'>, maxRows: number): LogRow[] {
	const room = Math.max(1, width - logLeadWidth(state));
	const wrap = state.wrap || state.copy;
	const text = expandTabs(entry.text);
	const base = {seq: entry.seq, kind: entry.kind, stream: entry.kind === 'line' ? entry.stream : undefined, at: entry.receivedAt, note: entry.kind === 'gap' && entry.reason === 'replay'};
	const cutFrom = entry.kind === 'line' ? entry.fullLength : undefined;
	if (!wrap || entry.kind === 'gap' || textWidth(text) <= room) {
		return [{...base, text, offset: 0, continuation: false, cutFrom}];
	}

	return columnChunks(text, room, maxRows).map(chunk => ({...base, text: chunk.text, offset: chunk.offset, continuation: chunk.offset > 0, cutFrom}));
}

/** The rows to draw: the newest ones when following, else from `topSeq`; never more than `rows`. */
export function logWindow(state: LogViewState, viewport: LogViewport): LogWindow {
	const {buffer, width} = viewport;
	const rowsAvailable = Math.max(1, viewport.rows);
	const first = buffer.firstSeq;
	const end = buffer.nextSeq;
	let visibleCount = 0;
	let matchCount = 0;
	let matchIndex: number | null = null;
	// Counting needs a pass over the whole buffer only when something hides or matches lines: a paused view's buffer
	// can hold a few hundred thousand of them, and every frame of a flood would pay for the pass.
	const everyEntryVisible = state.streams === 'both' && state.filter === '';
	if (everyEntryVisible && state.search === '') {
		visibleCount = buffer.size;
	}

	for (let seq = everyEntryVisible && state.search === '' ? end : first; seq < end; seq++) {
		const entry = buffer.at(seq);
		if (entry && entryVisible(entry, state)) {
			visibleCount++;
			if (entry.kind === 'line' && searchMatches(entry.text, state.search)) {
				matchCount++;
				if (seq === state.currentMatch) {
					matchIndex = matchCount;
				}
			}
		}
	}

	const rows: LogRow[] = [];
	let firstSeq: number | null = null;
	let lastSeq: number | null = null;
	let atEnd = true;
	if (state.follow || lastPageTop(state, viewport) <= Math.max(first, state.topSeq)) {
		// From the newest entry backwards until the pane is full.
		for (let seq = end - 1; seq >= first && rows.length < rowsAvailable; seq--) {
			const entry = buffer.at(seq);
			if (!entry || !entryVisible(entry, state)) {
				continue;
			}

			const entryRowList = entryRows(entry, width, state, rowsAvailable);
			const room = rowsAvailable - rows.length;
			rows.unshift(...entryRowList.slice(Math.max(0, entryRowList.length - room)));
			firstSeq = seq;
			lastSeq ??= seq;
		}
	} else {
		for (let seq = Math.max(first, state.topSeq); seq < end && rows.length < rowsAvailable; seq++) {
			const entry = buffer.at(seq);
			if (!entry || !entryVisible(entry, state)) {
				continue;
			}

			firstSeq ??= seq;
			lastSeq = seq;
			rows.push(...entryRows(entry, width, state, rowsAvailable).slice(0, rowsAvailable - rows.length));
		}

		atEnd = lastSeq === null || nextVisible(state, buffer, lastSeq, 1) === null;
	}

	return {rows, visibleCount, atEnd, firstSeq, lastSeq, matchCount, matchIndex};
}

/** The sequence number of the first entry of the last page (what following would show at the top). */
function lastPageTop(state: LogViewState, viewport: LogViewport): number {
	const {buffer, width} = viewport;
	let used = 0;
	let top = buffer.nextSeq;
	for (let seq = buffer.nextSeq - 1; seq >= buffer.firstSeq; seq--) {
		const entry = buffer.at(seq);
		if (!entry || !entryVisible(entry, state)) {
			continue;
		}

		used += entryRows(entry, width, state, viewport.rows).length;
		if (used > viewport.rows) {
			break;
		}

		top = seq;
	}

	return top;
}

/** The next (direction 1) or previous (-1) visible entry after `seq`, or null. */
function nextVisible(state: LogViewState, buffer: LogBuffer, seq: number, direction: 1 | -1): number | null {
	for (let candidate = seq + direction; candidate >= buffer.firstSeq && candidate < buffer.nextSeq; candidate += direction) {
		const entry = buffer.at(candidate);
		if (entry && entryVisible(entry, state)) {
			return candidate;
		}
	}

	return null;
}

function moveBy(state: LogViewState, viewport: LogViewport, count: number): LogViewState {
	const current = state.follow ? lastPageTop(state, viewport) : Math.max(state.topSeq, viewport.buffer.firstSeq);
	let top = current;
	const direction = count < 0 ? -1 : 1;
	for (let step = 0; step < Math.abs(count); step++) {
		const next = nextVisible(state, viewport.buffer, top, direction);
		if (next === null) {
			break;
		}

		top = next;
	}

	const lastTop = lastPageTop(state, viewport);
	if (direction > 0 && top >= lastTop) {
		// Scrolling down past the end stays paused at the last page; G (or F) follows again.
		return {...state, follow: false, topSeq: lastTop};
	}

	return {...state, follow: false, topSeq: top};
}

function findMatch(state: LogViewState, buffer: LogBuffer, from: number, direction: 1 | -1): number | null {
	for (let seq = from; seq >= buffer.firstSeq && seq < buffer.nextSeq; seq += direction) {
		const entry = buffer.at(seq);
		if (entry && entry.kind === 'line' && entryVisible(entry, state) && searchMatches(entry.text, state.search)) {
			return seq;
		}
	}

	return null;
}

/** Pauses with `seq` a third of the way down the pane. */
function showSeq(state: LogViewState, viewport: LogViewport, seq: number): LogViewState {
	let top = seq;
	for (let step = 0; step < Math.floor(viewport.rows / 3); step++) {
		const previous = nextVisible(state, viewport.buffer, top, -1);
		if (previous === null) {
			break;
		}

		top = previous;
	}

	return {...state, follow: false, topSeq: top, currentMatch: seq};
}

export type LogViewAction =
	| {type: 'up' | 'down' | 'pageUp' | 'pageDown' | 'top' | 'bottom' | 'toggleFollow' | 'nextMatch' | 'previousMatch'}
	| {type: 'cycleStreams' | 'toggleWrap' | 'toggleTimes' | 'toggleCopy'}
	| {type: 'beginInput'; kind: 'search' | 'filter'}
	| {type: 'inputText'; text: string}
	| {type: 'inputBackspace' | 'inputCommit' | 'inputCancel' | 'clearSearch'}
	| {type: 'notice'; text: string | null};

export function logViewReducer(state: LogViewState, action: LogViewAction, viewport: LogViewport): LogViewState {
	const next = reduce(state, action, viewport);
	if (next.follow) {
		return next.pausedAt === null ? next : {...next, pausedAt: null};
	}

	// Pausing remembers where the log was, so the view can say how many lines arrived meanwhile.
	return state.follow || next.pausedAt === null ? {...next, pausedAt: viewport.buffer.nextSeq} : next;
}

function reduce(state: LogViewState, action: LogViewAction, viewport: LogViewport): LogViewState {
	const page = Math.max(1, viewport.rows - 1);
	switch (action.type) {
		case 'up': {
			return moveBy(state, viewport, -1);
		}

		case 'down': {
			return state.follow ? state : moveBy(state, viewport, 1);
		}

		case 'pageUp': {
			return moveBy(state, viewport, -page);
		}

		case 'pageDown': {
			return state.follow ? state : moveBy(state, viewport, page);
		}

		case 'top': {
			return {...state, follow: false, topSeq: viewport.buffer.firstSeq};
		}

		case 'bottom': {
			return {...state, follow: true, currentMatch: null};
		}

		case 'toggleFollow': {
			return state.follow ? {...state, follow: false, topSeq: lastPageTop(state, viewport)} : {...state, follow: true};
		}

		case 'nextMatch':
		case 'previousMatch': {
			if (state.search === '') {
				return {...state, notice: 'no search: press / to search'};
			}

			const direction = action.type === 'nextMatch' ? 1 : -1;
			const from = state.currentMatch ?? (direction === 1 ? (state.follow ? lastPageTop(state, viewport) : state.topSeq) - 1 : viewport.buffer.nextSeq);
			const found = findMatch(state, viewport.buffer, from + direction, direction)
				// Wrap around, as less does with its search.
				?? findMatch(state, viewport.buffer, direction === 1 ? viewport.buffer.firstSeq : viewport.buffer.nextSeq - 1, direction);
			if (found === null) {
				return {...state, currentMatch: null, notice: `no line matches "${state.search}"`};
			}

			return {...showSeq(state, viewport, found), notice: null};
		}

		case 'cycleStreams': {
			const next: StreamChoice = state.streams === 'both' ? 'stdout' : state.streams === 'stdout' ? 'stderr' : 'both';
			return {...state, streams: next};
		}

		case 'toggleWrap': {
			return {...state, wrap: !state.wrap};
		}

		case 'toggleTimes': {
			return {...state, times: !state.times};
		}

		case 'toggleCopy': {
			return {...state, copy: !state.copy};
		}

		case 'beginInput': {
			return {...state, input: {kind: action.kind, text: action.kind === 'search' ? state.search : state.filter}};
		}

		case 'inputText': {
			// Editing clears a complaint about what was typed before (a broken regular expression).
			return state.input ? {...state, input: {...state.input, text: state.input.text + action.text}, notice: null} : state;
		}

		case 'inputBackspace': {
			return state.input ? {...state, input: {...state.input, text: [...state.input.text].slice(0, -1).join('')}, notice: null} : state;
		}

		case 'inputCommit': {
			if (!state.input) {
				return state;
			}

			const {kind, text} = state.input;
			const query = parseQuery(text, {allowInverse: kind === 'filter'});
			if (query.error) {
				// The field stays open with what was typed, so it can be fixed.
				return {...state, notice: query.error};
			}

			if (kind === 'filter') {
				// Following stays following; a paused view stays paused where it was (the filter hides lines around it).
				return {...state, input: null, filter: text, currentMatch: null, notice: null};
			}

			const searched = {...state, input: null, search: text, currentMatch: null, notice: null};
			if (text === '' || state.follow) {
				// A followed log keeps following; the matches light up, n/N go to them (and pause).
				return searched;
			}

			// Paused: the first match from the top of the view on (wrapping around), as less searches from its page.
			const found = findMatch(searched, viewport.buffer, Math.max(state.topSeq, viewport.buffer.firstSeq), 1)
				?? findMatch(searched, viewport.buffer, viewport.buffer.firstSeq, 1);
			return found === null ? {...searched, notice: `no line matches "${text}"`} : showSeq(searched, viewport, found);
		}

		case 'inputCancel': {
			return {...state, input: null};
		}

		case 'clearSearch': {
			if (state.filter !== '') {
				return {...state, filter: ''};
			}

			return {...state, search: '', currentMatch: null};
		}

		case 'notice': {
			return {...state, notice: action.text};
		}
	}
}
