// One screen line built from styled segments, cut to the screen's width; each segment is its own text node, so the
// ASCII parts take string width's fast path and only the short runs of marks and sparkline blocks are measured slowly.
import React, {createContext, useContext} from 'react';
import {Box, Text} from 'ink';

export type Segment = {
	readonly text: string;
	readonly color?: string;
	readonly dim?: boolean;
	readonly bold?: boolean;
	readonly inverse?: boolean;
	readonly underline?: boolean;
};

/** The width every Line is cut to: a line wider than the terminal would wrap and push the frame off the screen. */
export const LineWidthContext = createContext(80);

/** The segments that fit in `width` columns, the last one cut with an ellipsis. */
export function fitSegments(segments: readonly Segment[], width: number): Segment[] {
	const result: Segment[] = [];
	let used = 0;
	for (const segment of segments) {
		const characters = [...segment.text];
		if (used + characters.length <= width) {
			result.push(segment);
			used += characters.length;
			continue;
		}

		const room = width - used;
		if (room > 0) {
			result.push({...segment, text: room === 1 ? '…' : `${characters.slice(0, room - 1).join('')}…`});
		}

		break;
	}

	return result;
}

export function Line({segments, dim, inverse}: {segments: readonly Segment[]; dim?: boolean; inverse?: boolean}) {
	const width = useContext(LineWidthContext);
	return (
		<Box flexDirection="row" flexShrink={0} height={1}>
			{fitSegments(segments, width).map((segment, index) => (
				<Text
					// Segments are positional: their order never changes within a line.
					key={index}
					wrap="truncate-end"
					color={segment.color}
					dimColor={segment.dim ?? dim}
					bold={segment.bold}
					inverse={segment.inverse ?? inverse}
					underline={segment.underline}
				>
					{segment.text}
				</Text>
			))}
		</Box>
	);
}

/** The total width of segments (code points; device text is sanitised and cut before it gets here). */
export function segmentsWidth(segments: readonly Segment[]): number {
	return segments.reduce((sum, segment) => sum + [...segment.text].length, 0);
}
