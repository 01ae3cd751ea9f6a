// The body a Teams Workflows webhook ("Post to a channel when a webhook request is received")
// expects: a message whose first attachment is an Adaptive Card. The flow posts
// attachments[0].content, so everything the channel shows lives in that card.
import { alertError, alertTimes, runPath, type FinalFailureAlert } from './alert.js';

// 1.4: the newest version Teams renders everywhere (mobile included) for cards posted by a flow.
const CARD_VERSION = '1.4';

/** The webhook body for one final failure: a title in the attention color and a FactSet of what failed where. */
export function teamsMessage(a: FinalFailureAlert): object {
  const { utc, saoPaulo } = alertTimes(a.at);
  const facts: { title: string; value: string }[] = [
    { title: 'Job', value: a.job },
    { title: 'Run', value: a.runId },
  ];
  if (a.step) facts.push({ title: 'Step', value: a.step });
  if (a.entity) facts.push({ title: 'Entity', value: a.entity });
  if (a.check) facts.push({ title: 'Check', value: a.check });
  facts.push(
    // the same capped, one-line error as the summary line: a card is no place for a stack trace
    { title: 'Error', value: alertError(a.error) },
    { title: 'Time (UTC)', value: utc },
    { title: 'Time (São Paulo)', value: saoPaulo },
    { title: 'Details', value: runPath(a.runId) },
  );
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: CARD_VERSION,
          body: [
            { type: 'TextBlock', text: 'Pipeline run failed', size: 'Medium', weight: 'Bolder', color: 'Attention', wrap: true },
            { type: 'FactSet', facts },
          ],
        },
      },
    ],
  };
}
