import { generateSecretsKey, SecretBox } from '../../src/crypto/secret-box';

describe('SecretBox', () => {
  test('round-trips, and the sealed form contains neither the plaintext nor the key', () => {
    const key = generateSecretsKey();
    const box = new SecretBox([key]);
    const sealed = box.seal('p@ssw0rd-123');
    expect(box.open(sealed)).toBe('p@ssw0rd-123');
    expect(JSON.stringify(sealed)).not.toContain('p@ssw0rd');
    expect(JSON.stringify(sealed)).not.toContain(key);
    expect(box.seal('same').ct).not.toBe(box.seal('same').ct);
  });

  test('after rotation old values stay readable and new ones use the new key', () => {
    const oldKey = generateSecretsKey();
    const oldBox = new SecretBox([oldKey]);
    const sealedBefore = oldBox.seal('before');
    const rotated = new SecretBox([generateSecretsKey(), oldKey]);
    expect(rotated.open(sealedBefore)).toBe('before');
    expect(rotated.seal('after').kid).not.toBe(sealedBefore.kid);
  });

  test('tampering and unknown keys are refused', () => {
    const box = new SecretBox([generateSecretsKey()]);
    const sealed = box.seal('value');
    const tampered = { ...sealed, ct: Buffer.from('other').toString('base64') };
    expect(() => box.open(tampered)).toThrow();
    expect(() => new SecretBox([generateSecretsKey()]).open(sealed)).toThrow(/no longer listed/);
    expect(() => new SecretBox(['c2hvcnQ='])).toThrow(/32 bytes/);
  });
});
