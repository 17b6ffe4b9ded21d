// What breakglass does on the wire that ssh2's server API cannot say: texts in channel-open refusals, text on a refused session.
import type {Connection, Session} from 'ssh2';

/** RFC 4254 reason codes for SSH_MSG_CHANNEL_OPEN_FAILURE. */
const openFailure = {administrativelyProhibited: 1, unknownChannelType: 3} as const;

type Protocol = {
	channelData(channel: number, data: Buffer): void;
	channelClose(channel: number): void;
	channelOpenFail(recipient: number, reason: number, description?: string): void;
	_handlers: {CHANNEL_OPEN?: (packet: unknown, info: {type: string}) => void};
};
type ConnectionInternals = {_protocol: Protocol; _chanMgr?: {remove(id: number): void}};
type SessionInternals = {
	_ending: boolean;
	_chanInfo: {incoming: {id: number}; outgoing: {id: number; state: string; window: number}};
};

/**
 * Channel opens are refused with breakglass's texts: `port forwarding is disabled` for `ssh -L` (breakglass without
 * -forward) and `unknown channel type: "…"` for the rest, where ssh2 would send an empty text.
 */
export function refuseChannelOpensAsBreakglass(client: Connection): void {
	const protocol = (client as unknown as ConnectionInternals)._protocol;
	const handlers = protocol._handlers;
	const handleOpen = handlers.CHANNEL_OPEN;
	const send = protocol.channelOpenFail.bind(protocol);
	let opening: string | undefined;
	if (handleOpen) {
		handlers.CHANNEL_OPEN = (packet, info) => {
			// ssh2 refuses within this call, so the type is known for the refusal below.
			opening = info.type;
			try {
				handleOpen(packet, info);
			} finally {
				opening = undefined;
			}
		};
	}

	protocol.channelOpenFail = (recipient, reason, description) => {
		if (description || opening === undefined || opening === 'session') {
			send(recipient, reason, description);
		} else if (opening === 'direct-tcpip') {
			send(recipient, openFailure.administrativelyProhibited, 'port forwarding is disabled');
		} else {
			send(recipient, openFailure.unknownChannelType, `unknown channel type: ${JSON.stringify(opening)}`);
		}
	};
}

/**
 * For a request refused before any command runs: breakglass writes the error text on the session as output and
 * closes it. ssh2 has no stream for a session yet, so the text goes straight to the protocol.
 */
export function writeAndCloseSession(client: Connection, session: Session, text: string): void {
	const internals = session as unknown as SessionInternals;
	const connection = client as unknown as ConnectionInternals;
	const outgoing = internals._chanInfo.outgoing;
	internals._ending = true;
	if (outgoing.state !== 'open') {
		return;
	}

	const data = Buffer.from(text);
	if (data.length <= outgoing.window) {
		connection._protocol.channelData(outgoing.id, data);
		outgoing.window -= data.length;
	}

	connection._protocol.channelClose(outgoing.id);
	outgoing.state = 'closing';
	// ssh2 keeps a session without a stream in its channel table after the close; free the slot when the client answers.
	session.once('close', () => connection._chanMgr?.remove(internals._chanInfo.incoming.id));
}
