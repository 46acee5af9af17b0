import { AppError } from './app-error.js';

describe('AppError on the wire', () => {
  it('keeps code, message and field through a round trip', () => {
    const wire = JSON.parse(JSON.stringify(AppError.badInput('input.name', 'must be an RFC 1123 label').toWire()));
    expect(wire).toEqual({ code: 'BAD_USER_INPUT', message: 'input.name: must be an RFC 1123 label', field: 'input.name' });
    const back = AppError.fromWire(wire);
    expect(back).toBeInstanceOf(AppError);
    expect(back).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
  });

  it('never carries a stack trace', () => {
    expect(Object.keys(AppError.conflict('instance is deleted').toWire())).toEqual(['code', 'message']);
  });

  it.each([null, 'boom', { message: 'x' }, { code: 'TEAPOT', message: 'x' }, { code: 'NOT_FOUND' }])(
    'turns an unrecognised reply %j into INTERNAL',
    (reply) => {
      expect(AppError.fromWire(reply)).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
    },
  );
});
