"""Writes the .docx templates of the documents (文书) in this folder. The templates are the
product; run this only to redraw them. Placeholders are docxtpl (Jinja) tags."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = Path(__file__).parent
RELIEF = ("如不服本决定，可以自收到本决定书之日起六十日内向{{ county }}人民政府申请行政复议，"
          "或者在六个月内向人民法院提起行政诉讼。")


def _doc(title: str):
    """A document with the office's name, the title and the 文号 (title may be a placeholder)."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run("{{ department }}")
    run.font.size = Pt(18)
    t = doc.add_paragraph()
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = t.add_run(title)
    run.bold = True
    run.font.size = Pt(22)
    n = doc.add_paragraph("{{ number }}")
    n.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc


def _loop(doc, head: str, body: str) -> None:
    """A paragraph per item (docxtpl {%p %} tags)."""
    doc.add_paragraph("{%p for " + head + " %}")
    doc.add_paragraph(body)
    doc.add_paragraph("{%p endfor %}")


def _sign(doc):
    for text in ("", "{{ department }}（印章）", "{{ today }}"):
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _save(doc, name):
    doc.save(HERE / f"{name}.docx")


def build() -> None:
    d = _doc("受理通知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），经审查，"
                    "申请材料齐全、符合法定形式，本机关决定予以受理。本机关将于{{ deadline }}前作出决定"
                    "（依法不计入办理期限的时间除外）。")
    d.add_paragraph("你可凭办件编号和证件号码在“{{ county }}政务服务专栏”的“结果反馈”中查询办理进度。")
    d.add_paragraph("联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "acceptance_notice")

    d = _doc("补正材料告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "申请材料不齐全（或不符合法定形式）。根据《中华人民共和国行政许可法》第三十二条，现一次性告知你需要补正的全部内容：")
    _loop(d, "m in missing", "{{ loop.index }}. {{ m }}")
    d.add_paragraph("请补齐上述材料后提交{% if application_number %}：凭申请编号 {{ application_number }} 和查询码在"
                    "“{{ county }}政务服务专栏”的“我的申请”中上传，或到窗口提交{% else %}到窗口{% endif %}。"
                    "补正期间不计入办理期限；本机关将在收到全部补正材料后依法审查。")
    d.add_paragraph("联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "correction_notice")

    d = _doc("不予受理决定书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），经审查，"
                    "因{{ reason }}，根据《中华人民共和国行政许可法》第三十二条，本机关决定不予受理。")
    d.add_paragraph(RELIEF)
    _sign(d)
    _save(d, "rejection_decision")

    d = _doc("{{ decision_title }}")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "本机关于{{ accepted_date }}受理。经审查，申请符合法定条件、标准，根据{{ legal_basis }}，决定准予行政许可。")
    d.add_paragraph("{% if license_no %}许可证件编号：{{ license_no }}。{% endif %}请于收到本决定之日起到{{ place }}领取许可证件。")
    _sign(d)
    _save(d, "grant_decision")

    d = _doc("不予行政许可决定书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "本机关于{{ accepted_date }}受理。经审查，因{{ reason }}，根据{{ legal_basis }}，决定不予行政许可。")
    d.add_paragraph(RELIEF)
    _sign(d)
    _save(d, "denial_decision")

    d = _doc("送达回证")
    t = d.add_table(rows=7, cols=2)
    t.style = "Table Grid"
    for row, (label, value) in zip(t.rows, [
            ("送达文书名称及文号", "{{ delivered }}"),
            ("受送达人", "{{ applicant_name }}"), ("送达地点", "{{ delivery_place or address }}"),
            ("送达方式", "{{ delivery_method or '直接送达' }}"),
            ("送达人", "{{ actor_name }}"), ("受送达人签名或盖章", ""),
            ("送达日期", "{{ delivery_date or today }}")]):
        row.cells[0].text, row.cells[1].text = label, value
    d.add_paragraph("备注：受送达人拒绝签收的，送达人应注明情况并由见证人签名。")
    _save(d, "delivery_receipt")

    d = _doc("{{ decision_title }}")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提交的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "申请材料齐全、符合法定形式。根据{{ legal_basis }}，本机关准予设立登记。")
    d.add_paragraph("{% if license_no %}统一社会信用代码：{{ license_no }}。{% endif %}请凭本通知书和本人身份证件到{{ place }}领取营业执照。")
    d.add_paragraph("联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "registration_notice")

    _penalty_templates()
    _legal_time_templates()
    _disclosure_templates()

    d = _doc("全案卷宗")
    d.add_paragraph("办件编号：{{ case_number }}")
    d.add_paragraph("事项：{{ item_name }}（{{ item_code }}）")
    d.add_paragraph("申请人：{{ applicant_name }}　　证件：{{ cert_label }} {{ cert_number }}")
    d.add_paragraph("收件：{{ received_at }}　　受理：{{ accepted_at }}　　办结：{{ finished_at }}　　结果：{{ result }}")
    d.add_paragraph("一、办理过程")
    t = d.add_table(rows=3, cols=6)
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, ["序号", "环节", "办理人", "办结时间", "意见", "表单数据"]):
        cell.text = text
    t.rows[1].cells[0].text = "{%tr for s in steps %}"
    for cell, text in zip(t.rows[2].cells, ["{{ s.seq }}", "{{ s.step }}", "{{ s.actor }}", "{{ s.time }}",
                                             "{{ s.opinion }}", "{{ s.data }}"]):
        cell.text = text
    end = t.add_row()
    end.cells[0].text = "{%tr endfor %}"
    d.add_paragraph("二、操作记录")
    _loop(d, "e in events", "{{ e.seq }}. {{ e.at }} {{ e.actor }} {{ e.action }}{% if e.reason %}（理由：{{ e.reason }}）{% endif %}")
    d.add_paragraph("三、申请材料")
    _loop(d, "m in materials", "{{ loop.index }}. {{ m.name }}（{{ m.original }}，{{ m.state }}）")
    d.add_paragraph("四、文书")
    _loop(d, "doc in documents", "{{ doc.title }} {{ doc.number }}")
    d.add_paragraph("五、表单数据")
    _loop(d, "f in form_fields", "{{ f.label }}：{{ f.value }}")
    d.add_paragraph("六、期限说明")
    _loop(d, "line in deadline_lines", "{{ loop.index }}. {{ line }}")
    _sign(d)
    _save(d, "case_file")


PENALTY_LAW = "《中华人民共和国行政处罚法》"


def _party(doc):
    doc.add_paragraph("当事人：{{ applicant_name }}")
    doc.add_paragraph("{{ cert_label }}：{{ cert_number }}")
    doc.add_paragraph("地址：{{ address or '（未登记）' }}")


def _penalty_templates() -> None:
    d = _doc("行政处罚事先告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("本机关于{{ filed_date }}对你（单位）{{ subject }}立案调查（案件编号：{{ case_number }}）。"
                    "经调查，现将拟作出行政处罚的事实、理由、依据及你（单位）依法享有的权利告知如下：")
    d.add_paragraph("一、违法事实：{{ facts }}")
    d.add_paragraph("二、证据：{{ evidence }}")
    d.add_paragraph("三、理由和依据：你（单位）的上述行为违反了{{ violated_provision }}的规定。依据{{ penalty_basis }}，"
                    "本机关拟对你（单位）作出如下行政处罚：{{ intended_penalty }}。")
    d.add_paragraph("四、你（单位）的权利：根据" + PENALTY_LAW + "第四十四条、第四十五条的规定，你（单位）有权进行陈述和申辩；"
                    "根据第六十三条、第六十四条的规定，拟作出的行政处罚属于较大数额罚款、没收较大数额违法所得、"
                    "吊销许可证件、责令停产停业等情形的，你（单位）有权要求举行听证。")
    d.add_paragraph("请于收到本告知书之日起五个工作日内（即{{ statement_until }}前，法定节假日不计算在内，"
                    + PENALTY_LAW + "第八十五条）向本机关提出陈述、申辩意见或者书面要求举行听证；"
                    "逾期未提出的，视为放弃上述权利。当事人也可以书面明确放弃上述权利。")
    d.add_paragraph("本机关在上述期限届满前不作出行政处罚决定；当事人要求听证的，在听证结束后依法作出决定"
                    "（" + PENALTY_LAW + "第六十二条）。本机关不因当事人陈述、申辩而给予更重的处罚。")
    d.add_paragraph("联系地址：{{ place }}　　联系电话：{{ phone }}")
    _sign(d)
    _save(d, "penalty_notice")

    d = _doc("听证通知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("根据你（单位）的申请，本机关决定就{{ subject }}（案件编号：{{ case_number }}）拟作出的行政处罚"
                    "举行听证。现将有关事项通知如下：")
    d.add_paragraph("一、听证时间：{{ hearing_date }}{% if hearing_time %} {{ hearing_time }}{% endif %}")
    d.add_paragraph("二、听证地点：{{ hearing_place }}")
    d.add_paragraph("三、听证主持人：{{ hearing_officer }}（由非本案调查人员担任）")
    d.add_paragraph("四、本通知于举行听证七个工作日前送达（" + PENALTY_LAW + "第六十四条第二项、第八十五条）。")
    d.add_paragraph("五、你（单位）的权利和义务：听证除涉及国家秘密、商业秘密或者个人隐私依法予以保密外，公开举行；"
                    "你（单位）认为主持人与本案有直接利害关系的，有权申请回避；可以亲自参加听证，也可以委托一至二人代理；"
                    "你（单位）及其代理人无正当理由拒不出席听证或者未经许可中途退出听证的，视为放弃听证权利，"
                    "本机关终止听证（" + PENALTY_LAW + "第六十四条）。")
    d.add_paragraph("请携带身份证明、授权委托书及有关证据材料准时参加。")
    d.add_paragraph("联系电话：{{ phone }}")
    _sign(d)
    _save(d, "hearing_notice")

    d = _doc("行政处罚决定书")
    _party(d)
    d.add_paragraph("本机关于{{ filed_date }}对{{ subject }}立案调查（案件编号：{{ case_number }}），"
                    "于{{ notified_date }}向当事人送达了行政处罚事先告知书，告知了拟作出行政处罚的事实、理由、依据"
                    "及当事人依法享有的陈述、申辩和要求听证的权利。{{ statement }}")
    d.add_paragraph("经查明，当事人存在以下违法事实：{{ facts }}")
    d.add_paragraph("上述事实有以下证据证明：{{ evidence }}")
    d.add_paragraph("当事人的上述行为违反了{{ violated_provision }}的规定。{% if severity %}违法情节：{{ severity }}。{% endif %}"
                    "依据{{ penalty_basis }}，本机关决定对当事人作出如下行政处罚：")
    _loop(d, "p in penalties", "{{ loop.index }}. {{ p }}")
    d.add_paragraph("履行方式和期限：{{ performance }}")
    d.add_paragraph("如不服本决定，可以自收到本决定书之日起六十日内向{{ county }}人民政府申请行政复议，"
                    "也可以自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。申请行政复议或者提起行政诉讼的，"
                    "行政处罚不停止执行，法律另有规定的除外（" + PENALTY_LAW + "第七十三条）。")
    _sign(d)
    _save(d, "penalty_decision")


def _legal_time_templates() -> None:
    d = _doc("延期告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）{{ case_phrase }}（办件编号：{{ case_number }}），原定办理期限至{{ deadline_before }}届满。"
                    "因{{ reason }}，不能在原定期限内作出决定。经{{ approval }}，根据{{ basis }}，"
                    "办理期限延长{{ days }}{{ unit }}，延长后的期限至{{ deadline_after }}届满。")
    d.add_paragraph("特此告知。联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "extension_notice")

    d = _doc("特别程序告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）{{ case_phrase }}（办件编号：{{ case_number }}），因{{ reason }}，"
                    "本机关自{{ started_date }}起依法进行{{ procedure }}。")
    d.add_paragraph("{{ expected }}根据{{ basis }}，{{ procedure }}所需时间不计算在办理期限内；"
                    "{{ procedure }}结束后，本机关将恢复办理并依法顺延办理期限。")
    d.add_paragraph("特此告知。联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "special_procedure_notice")

    d = _doc("视为放弃申请告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "本机关于{{ correction_date }}书面告知你（单位）补正{% if missing %}以下内容{% endif %}，"
                    "补正期限至{{ answer_by }}届满。{% if missing %}需补正的内容：{{ missing }}。{% endif %}")
    d.add_paragraph("{{ reason }}本申请办理终结。如仍需要，你（单位）可以重新提出申请。")
    d.add_paragraph("你（单位）认为本机关的行政行为侵犯你（单位）合法权益的，可以依法向{{ county }}人民政府"
                    "申请行政复议，或者向人民法院提起行政诉讼。")
    d.add_paragraph("特此告知。联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "lapse_notice")


INFO_LAW = "《中华人民共和国政府信息公开条例》"


def _office(doc):
    doc.add_paragraph("联系机构：{{ office_name }}　　联系电话：{{ office_phone }}"
                      "{% if office_address %}　　地址：{{ office_address }}{% endif %}")


def _disclosure_templates() -> None:
    """依申请公开 (政府信息公开条例 2019): the 答复书 of every answer type (arts. 35–39; its sentences
    by type are in forms/disclosure_documents.py), 补正 (art. 30), 延期 (art. 33), 第三方意见 (art. 32), 收费通知
    (信息处理费管理办法), 视为放弃申请 (art. 30)."""
    d = _doc("政府信息公开申请答复书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("本机关于{{ received_date }}收到你（单位）提出的政府信息公开申请（申请编号：{{ request_number }}），"
                    "你（单位）申请获取：{{ description }}。{{ corrected }}现答复如下：")
    d.add_paragraph("{%p if answer_text %}")
    d.add_paragraph("{{ answer_text }}")
    d.add_paragraph("{%p endif %}")
    _loop(d, "line in decision", "{{ line }}")
    d.add_paragraph("答复类型：{{ answer_label }}（{{ answer_cite }}）。")
    d.add_paragraph("{{ fee_line }}")
    d.add_paragraph("{{ relief }}")
    _office(d)
    _sign(d)
    _save(d, "info_reply")

    d = _doc("补正政府信息公开申请通知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("本机关于{{ received_date }}收到你（单位）提出的政府信息公开申请（申请编号：{{ request_number }}），"
                    "申请获取：{{ description }}。经审查，申请内容不明确，本机关无法确定你（单位）所需的政府信息。根据"
                    + INFO_LAW + "第三十条的规定，现一次性告知你（单位）需要补正的事项：")
    _loop(d, "p in points", "{{ loop.index }}. {{ p }}")
    d.add_paragraph("请你（单位）自本通知书发出之日起{{ answer_days }}个工作日内补正（补正期限至{{ answer_by }}届满），写明所需政府信息的名称、文号或者"
                    "便于本机关查询的其他特征性描述。你（单位）可以凭申请编号 {{ request_number }} 和查询码在"
                    "“{{ county }}政务服务专栏”的“政府信息公开”栏目提交补正，也可以书面（当面、信函或者传真）向本机关提交。")
    d.add_paragraph("答复期限自本机关收到补正的申请之日起计算。你（单位）无正当理由逾期不补正的，视为放弃申请，"
                    "本机关不再处理该政府信息公开申请（" + INFO_LAW + "第三十条）。")
    d.add_paragraph("如对补正事项有疑问，可以与本机关联系，我们将给予指导和释明。")
    _office(d)
    _sign(d)
    _save(d, "info_correction_notice")

    d = _doc("延期答复告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的政府信息公开申请（申请编号：{{ request_number }}），答复期限"
                    "{{ period_from }}，原答复期限至{{ deadline_before }}届满。因{{ reason }}，本机关不能在规定期限内作出答复。")
    d.add_paragraph("根据" + INFO_LAW + "第三十三条第二款的规定，经本机关政府信息公开工作机构负责人{{ approver }}"
                    "{% if consented %}于{{ consented }}{% endif %}同意，答复期限延长{{ days }}个工作日（延长的期限最长不超过20个工作日），"
                    "延长后的答复期限至{{ deadline_after }}届满。")
    d.add_paragraph("特此告知。")
    _office(d)
    _sign(d)
    _save(d, "info_extension_notice")

    d = _doc("第三方意见征询函")
    d.add_paragraph("{{ party }}：")
    d.add_paragraph("本机关于{{ received_date }}收到一份政府信息公开申请（申请编号：{{ request_number }}），"
                    "申请获取：{{ description }}。本机关认为，公开该政府信息可能损害你（单位）的合法权益，"
                    "涉及的事项：{{ matter }}。")
    d.add_paragraph("根据" + INFO_LAW + "第三十二条的规定，现书面征求你（单位）的意见。请你（单位）自收到本函之日起"
                    "{{ consultation_days }}个工作日内（本函于{{ sent_date }}发出，至{{ due_date }}届满）书面提出是否同意公开"
                    "的意见；不同意公开的，请说明理由。")
    d.add_paragraph("你（单位）逾期未提出意见的，由本机关依照" + INFO_LAW + "的规定决定是否公开。你（单位）不同意公开且有"
                    "合理理由的，本机关不予公开；本机关认为不公开可能对公共利益造成重大影响的，可以决定予以公开，"
                    "并将决定公开的政府信息内容和理由书面告知你（单位）。征求意见所需时间不计算在答复期限内"
                    "（" + INFO_LAW + "第三十三条第三款）。")
    _office(d)
    _sign(d)
    _save(d, "info_consultation_letter")

    d = _doc("政府信息公开信息处理费收费通知")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("本机关于{{ received_date }}收到你（单位）提出的政府信息公开申请（申请编号：{{ request_number }}），"
                    "申请获取：{{ description }}。根据{{ fee_rules }}，本次申请应收取信息处理费{{ fee }}元"
                    "{% if waived %}，经审核减免{{ waived }}元{% endif %}，你（单位）应缴纳{{ payable }}元。")
    d.add_paragraph("计费依据：{{ fee_basis }}。")
    d.add_paragraph("请自本通知出具之日（{{ notice_date }}）起20个工作日内，即{{ pay_by }}（含当日）前缴纳，"
                    "缴费时请注明申请编号 {{ request_number }}；缴费方式可向本机关咨询。本机关收到费用后依法提供政府信息。")
    d.add_paragraph("依照{{ fee_rules }}，自本通知出具之日起至你（单位）缴纳费用之日止的期间，不计算在" + INFO_LAW
                    + "第三十三条规定的答复期限内。"
                    "逾期未缴纳的，视为放弃申请，本机关不再处理该政府信息公开申请。")
    d.add_paragraph("确有经济困难的，可以向本机关申请减免信息处理费。")
    _office(d)
    _sign(d)
    _save(d, "info_fee_notice")

    d = _doc("视为放弃申请告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("本机关于{{ received_date }}收到你（单位）提出的政府信息公开申请（申请编号：{{ request_number }}），"
                    "申请获取：{{ description }}。本机关于{{ correction_date }}书面通知你（单位）补正申请内容，"
                    "补正期限至{{ answer_by }}届满{% if points %}，需要补正的事项是：{% else %}。{% endif %}")
    _loop(d, "p in points", "{{ loop.index }}. {{ p }}")
    d.add_paragraph("你（单位）在补正期限内未补正。根据" + INFO_LAW + "第三十条的规定，视为放弃申请，"
                    "本机关不再处理该政府信息公开申请。")
    d.add_paragraph("你（单位）仍需要获取该政府信息的，可以重新提出政府信息公开申请，写明所需政府信息的名称、文号"
                    "或者便于本机关查询的其他特征性描述。")
    d.add_paragraph("你（单位）认为本机关在政府信息公开工作中侵犯你（单位）合法权益的，可以向上一级行政机关或者"
                    "政府信息公开工作主管部门投诉、举报，也可以依法申请行政复议或者提起行政诉讼"
                    "（" + INFO_LAW + "第五十一条）。")
    d.add_paragraph("特此告知。")
    _office(d)
    _sign(d)
    _save(d, "info_lapse_notice")


if __name__ == "__main__":
    build()
    print("templates written")
