import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, Space } from 'antd';
import { useTranslation } from 'react-i18next';

/** An editable list of `key = value` rows (labels, node selectors, env overrides) inside a Form. */
export function PairList({
  name,
  keyField,
  keyPlaceholder,
  addLabel,
}: {
  name: string | (string | number)[];
  keyField: 'key' | 'name';
  keyPlaceholder: string;
  addLabel?: string;
}) {
  const { t } = useTranslation();
  const req = [{ required: true, message: t('models.editor.required') }];
  return (
    <Form.List name={name}>
      {(rows, { add, remove }) => (
        <>
          {rows.map((r) => (
            <Space key={r.key} align="baseline">
              <Form.Item name={[r.name, keyField]} rules={req}>
                <Input placeholder={keyPlaceholder} />
              </Form.Item>
              =
              <Form.Item name={[r.name, 'value']}>
                <Input placeholder={t('apps.editor.value')} />
              </Form.Item>
              <MinusCircleOutlined onClick={() => remove(r.name)} aria-label={t('models.editor.remove')} />
            </Space>
          ))}
          <div>
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => add({ [keyField]: '', value: '' })}>
              {addLabel ?? t('models.editor.add')}
            </Button>
          </div>
        </>
      )}
    </Form.List>
  );
}
