import { formErrors } from '../src/api/field-errors.js';
import { keyErrorsByLine, sshKeyLines } from '../src/pages/instance/boot-config.js';
import { newRuleRow, rowOfRule, ruleFields, ruleInWords, ruleOfRow } from '../src/pages/instance/firewall-rule-rows.js';

describe('SSH keys typed one a line', () => {
  const typed = 'ssh-ed25519 AAAAC3Nza ana@laptop\n\n  not-a-key  \r\nssh-rsa AAAAB3Nza bo\n';

  it('are sent without the blank lines, each trimmed', () => {
    expect(sshKeyLines(typed)).toEqual({ keys: ['ssh-ed25519 AAAAC3Nza ana@laptop', 'not-a-key', 'ssh-rsa AAAAB3Nza bo'], lines: [1, 3, 4] });
    expect(sshKeyLines('').keys).toEqual([]);
  });

  it("have the API's refusal of the second key shown beside the field, naming the line it was typed on", () => {
    const refused = [{ message: 'input.sshKeys[1]: must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)', extensions: { code: 'BAD_USER_INPUT', field: 'input.sshKeys[1]' } }];
    const shown = formErrors(keyErrorsByLine(refused, sshKeyLines(typed).lines), ['sshKeys']);
    expect(shown.fields.sshKeys).toBe('line 3 must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)');
  });
});

describe("a firewall's rules in the editor", () => {
  it('go to the API with blank ports as every port, ICMP without ports, and the addresses split', () => {
    expect(ruleOfRow({ direction: 'INGRESS', protocol: 'TCP', ports: ' ', addresses: '10.0.0.0/8,192.168.1.0/24  fd00::/8', description: ' ' }))
      .toEqual({ direction: 'INGRESS', protocol: 'TCP', ports: null, addresses: ['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8'], description: null });
    expect(ruleOfRow({ ...newRuleRow(), protocol: 'ICMP', ports: '22' }).ports).toBeNull();
    expect(ruleOfRow(newRuleRow())).toEqual({ direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], description: null });
  });

  it('come back from the API as they were typed', () => {
    const row = { direction: 'EGRESS' as const, protocol: 'UDP' as const, ports: '53', addresses: '9.9.9.9/32', description: 'dns' };
    expect(rowOfRule(ruleOfRow(row))).toEqual(row);
  });

  it("have the API's refusal of a rule's field beside that field of that rule", () => {
    const refused = [{ message: 'input.rules[1].addresses[0]: nonsense: not a CIDR', extensions: { code: 'BAD_USER_INPUT', field: 'input.rules[1].addresses[0]' } }];
    expect(formErrors(refused, ['name', ...ruleFields(2)]).fields).toEqual({ 'rules[1].addresses': 'nonsense: not a CIDR' });
  });

  it('read as a person says them', () => {
    expect(ruleInWords({ direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], description: 'ssh' })).toBe('In: TCP port 22 from anyone (ssh)');
    expect(ruleInWords({ direction: 'EGRESS', protocol: 'ICMP', ports: null, addresses: ['10.0.0.0/8'] })).toBe('Out: ICMP to 10.0.0.0/8');
    expect(ruleInWords({ direction: 'INGRESS', protocol: 'UDP', ports: null, addresses: ['192.0.2.0/24'] })).toBe('In: UDP every port from 192.0.2.0/24');
  });
});
