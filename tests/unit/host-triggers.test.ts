import { queueMessageBody } from '../../dev/queue-poller.js';
import { resolveAppSettings } from '../../dev/timers.js';
import { encodeMessage } from '../../shared/storage/queues.js';

describe('local host trigger inputs', () => {
  it('hands a queue handler the parsed JSON of a base64 message, or the text when it is not JSON', () => {
    expect(queueMessageBody(encodeMessage({ runId: 'r1', kind: 'daily' }))).toEqual({ runId: 'r1', kind: 'daily' });
    expect(queueMessageBody(Buffer.from('not json', 'utf8').toString('base64'))).toBe('not json');
  });

  it('resolves %SETTING% in trigger settings from the app settings, refusing an unset one', () => {
    expect(resolveAppSettings('%EXTRACT_SCHEDULE%', { EXTRACT_SCHEDULE: '0 0 3 * * *' })).toBe('0 0 3 * * *');
    expect(resolveAppSettings('0 */5 * * * *', {})).toBe('0 */5 * * * *');
    expect(() => resolveAppSettings('%EXTRACT_SCHEDULE%', { EXTRACT_SCHEDULE: '' })).toThrow('app setting EXTRACT_SCHEDULE (used by a trigger) is not set');
  });
});
