import { CodeOutlined, InfoCircleOutlined } from '@ant-design/icons';
import type { ButtonProps } from 'antd';
import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton } from './context';
import { keyOf, type Verb } from './verbs';

/** One of a view's verbs as a button. */
export interface VerbAction {
  verb: Verb;
  label: string;
  icon?: ReactNode;
  danger?: boolean;
  loading?: boolean;
  /** Why it does not apply now; by default "select a row first" while no row is selected. null: it applies. */
  unavailable?: string | null;
}

/** Details (Enter): it reads only what the console holds, so it stays allowed offline. */
export const detailsAction = (t: TFunction): VerbAction => ({ verb: 'open', label: t('clusters.list.details'), icon: <InfoCircleOutlined /> });
export const YAML_ACTION: VerbAction = { verb: 'yaml', label: 'YAML', icon: <CodeOutlined /> };

/**
 * A view's verbs as buttons, the same above its table and in its drawer:
 * each tooltip names the verb's key, and a button is disabled with the
 * reason while the cluster cannot take it or (above the table) no row is
 * selected. `testId` names them: `<testId>-<verb>` ("details" for open).
 */
export function VerbButtons({
  actions,
  onVerb,
  testId,
  selected = true,
  size,
}: {
  actions: VerbAction[];
  onVerb: (verb: Verb) => void;
  testId: string;
  /** Whether a row is selected (above a table); a drawer's object always is. */
  selected?: boolean;
  size?: ButtonProps['size'];
}) {
  const { t } = useTranslation();
  const none = selected ? null : t('clusters.list.selectFirst');
  return (
    <>
      {actions.map((a) => (
        <ActionButton
          key={a.verb}
          local={a.verb === 'open'}
          size={size}
          icon={a.icon}
          danger={a.danger}
          loading={a.loading}
          unavailable={a.unavailable === undefined ? none : a.unavailable}
          hint={`${a.label} (${keyOf(a.verb)})`}
          onClick={() => onVerb(a.verb)}
          data-testid={`${testId}-${a.verb === 'open' ? 'details' : a.verb}`}
        >
          {a.label}
        </ActionButton>
      ))}
    </>
  );
}
