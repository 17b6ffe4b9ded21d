// One screen line built from styled segments, cut to the screen's width in columns; each segment is its own text node,
// so Ink measures short runs and the plain ones take string-width's fast path.
import React, {createContext, useContext} from 'react';
import {Box, Text} from 'ink';
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

export function Line({segments, dim, inverse}: {segments: readonly Segment[]; dim?: boolean; inverse?: boolean}) {
	const width = useContext(LineWidthContext);
	return (
		<Box flexDirection="row" flexShrink={0} height={1}>
			{fitRuns(segments, width).map((segment, index) => (
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
