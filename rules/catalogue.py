"""The rules shipped with Sunhall (in the spirit of the provincial A-series catalogue); the
supervision office changes their parameters, levels, scopes and switches in the browser."""

DEFAULT_RULES = [
    # timeliness (时效)
    dict(code="A030", type="reminder", name="环节到期前提醒", level="remind",
         description="环节到期前 N 个工作日提醒办理人。", params={"days_before": 1}),
    dict(code="A001", type="step_warning", name="环节用时达到时限比例预警", level="warning",
         description="环节用时达到其时限的一定比例（默认 4/5）时预警。", params={"share": 0.8}),
    dict(code="A002", type="step_overdue", name="环节超期报警", level="alarm",
         description="环节超过时限仍未办结时报警，并关闭该环节的预警。", params={}),
    dict(code="A003", type="case_warning", name="办件用时达到承诺时限比例预警", level="warning",
         description="办件用时达到承诺时限的一定比例时预警。", params={"share": 0.8}),
    dict(code="A004", type="case_overdue", name="办件超期报警", level="alarm",
         description="办件超过承诺办结日期仍未办结时报警，并关闭该办件的预警。", params={}),
    # legality (流程合法)
    dict(code="A014", type="decision_before_acceptance", name="未受理先决定", level="alarm", blocking=True,
         description="办件尚未受理就作出决定（事后登记），拒绝该操作。", params={}),
    dict(code="A005", type="late_registration", name="事后登记", level="warning",
         description="办件登记时间晚于事件发生日期超过 N 个工作日（数据项 event_date）。", params={"days": 10}),
    dict(code="A041", type="statement_period", name="未听取陈述申辩先作处罚决定", level="alarm", blocking=True,
         description="《中华人民共和国行政处罚法》第六十二条：事先告知后，当事人陈述、申辩和要求听证的期限"
                     "（告知后五日内，第六十三条；第八十五条：工作日，不含法定节假日）届满前，除当事人已陈述申辩、"
                     "要求听证或者书面放弃外，不得作出行政处罚决定；当事人要求听证的，听证结束前不得作出决定。拒绝该操作。",
         params={"notice_step": "notify", "statement_step": "statement", "hearing_step": "hearing", "days": 5}),
    dict(code="A042", type="hearing_notice", name="听证通知不足七个工作日", level="alarm", blocking=True,
         description="《中华人民共和国行政处罚法》第六十四条第二项、第八十五条：听证日期距通知之日不足七个工作日的，"
                     "拒绝办结听证通知；听证日期未到的，拒绝办结听证环节。",
         params={"notice_step": "hearing_notice", "hearing_step": "hearing", "field": "hearing_date", "days": 7}),
    dict(code="A015", type="backdated", name="时间倒填", level="alarm",
         description="填写的日期晚于当前日期，或早于收件日期（送达日期等）。", params={"fields": ["delivered_on"]}),
    # content (内容完整)
    dict(code="A016", type="required_fields", name="决定环节关键数据未录入", level="alarm", blocking=True,
         description="作出处罚决定时选择了罚款或没收，但金额未录入。", params={
             "when": {"penalty_kind": {"罚款": "fine_amount", "没收违法所得": "confiscated_amount"}}}),
    # fees (收费)
    dict(code="A020", type="fee", name="违规收费", level="alarm", blocking=True,
         description="对不收费的事项收费，拒绝；收费超过标准上限时报警。", params={"field": "fee", "max": 100}),
    # discretion (裁量)
    dict(code="A021", type="discretion", name="罚款超出裁量基准", level="alarm", blocking=True,
         description="罚款金额超出所选违法情节的裁量范围：拒绝，除非填写裁量理由并由第二名批准人同意；此时仍报警。",
         params={"amount_field": "fine_amount", "severity_field": "severity"}),
    # behaviour (行为)
    dict(code="A010", type="returned_many", name="多次退回", level="warning",
         description="办件被退回超过 N 次。", params={"times": 1}),
    dict(code="A006", type="inactivity", name="长期无操作", level="warning",
         description="在办办件连续 N 个工作日没有任何操作。", params={"days": 10}),
    dict(code="A012", type="refusal", name="不予受理、不予许可", level="remind",
         description="作出不予受理或不予许可（需有理由），计入统计并提醒抽查。", params={}),
    dict(code="A025", type="suspended_item", name="暂停事项仍在办理", level="alarm",
         description="事项已暂停或取消，仍有办件在办理。", params={}),
    # risk points (廉政风险点)
    dict(code="A040", type="risk_point", name="风险点环节", level="remind",
         description="办理了标有廉政风险点的环节：记录提醒并标注风险点；参数要求时须有第二审核人。",
         params={"second_reviewer": False}),
    # reporting by departments' own systems (外部办件报送, seed 004 §4.3: within 24 hours; §4.4 关键数据未报送或延时报送)
    dict(code="A051", type="report_delay", name="关键数据延时报送", level="warning",
         description="部门业务系统报送的办件收件、受理、环节或办结，晚于其发生时间超过规定时限（默认 24 小时）"
                     "才报送到本平台。", params={"hours": 24}),
    dict(code="A052", type="report_missing", name="关键数据未报送", level="alarm",
         description="在办的外部办件超过其下一期限（当前环节的办理期限，或承诺办结日期）仍没有新的报送。", params={}),
    # volume (数量异常)
    dict(code="C001", type="volume", name="办件量异常", level="warning",
         description="事项月办件量环比或同比变化超过阈值。", params={"threshold": 0.5, "min_cases": 5}),
]
