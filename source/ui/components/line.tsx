// One screen line built from styled segments, cut to the screen's width in columns; each segment is its own text node,
// so Ink measures short runs and the plain ones take string-width's fast path.
import React, {createContext, useContext} from 'react';
import {Text} from 'ink';
import {fitRuns} from '../../display/columns.js';

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

/**
 * One text node for the whole line, its segments nested in it: Ink lays out one node per line (not one per segment)
 * and writes the line in one piece, which is most of a frame's cost on a full screen.
 */
export function Line({segments, dim, inverse}: {segments: readonly Segment[]; dim?: boolean; inverse?: boolean}) {
	const width = useContext(LineWidthContext);
	const runs = fitRuns(segments, width);
	if (runs.every(run => run.text === '')) {
		// An empty text node has no height: a blank line is a space.
		return <Text> </Text>;
	}

	return (
		<Text wrap="truncate-end">
			{runs.map((segment, index) => (
				<Text
					// Segments are positional: their order never changes within a line.
					key={index}
					color={segment.color}
					dimColor={segment.dim ?? dim}
					bold={segment.bold}
					inverse={segment.inverse ?? inverse}
					underline={segment.underline}
				>
					{segment.text}
				</Text>
			))}
		</Text>
	);
}
