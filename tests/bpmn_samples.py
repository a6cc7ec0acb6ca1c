"""Small BPMN documents for validation tests, each broken in exactly one way."""

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:sunhall="urn:sunhall:bpmn:1.0" '
        'id="d" targetNamespace="urn:t">\n<bpmn:process id="p" name="测试" isExecutable="true">\n')
TAIL = "</bpmn:process>\n</bpmn:definitions>\n"
TASK = '<bpmn:userTask id="t" name="审查" camunda:candidateGroups="handle" sunhall:timeLimit="5"/>\n'


def doc(body: str) -> str:
    return HEAD + body + TAIL


def gateway(cond_yes: str = "approved == True", cond_no: str | None = "approved == False") -> str:
    no = (f'<bpmn:conditionExpression>{cond_no}</bpmn:conditionExpression>' if cond_no is not None else "")
    return doc(
        '<bpmn:startEvent id="s"/>' + TASK.replace("/>", "/>") +
        '<bpmn:exclusiveGateway id="g" name="通过？"/>'
        '<bpmn:endEvent id="e1" name="通过"/><bpmn:endEvent id="e2" name="不通过"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="g"/>'
        f'<bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e1"><bpmn:conditionExpression>{cond_yes}'
        '</bpmn:conditionExpression></bpmn:sequenceFlow>'
        f'<bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e2">{no}</bpmn:sequenceFlow>\n')


VALID = gateway()
LINEAR = doc('<bpmn:startEvent id="s"/>' + TASK + '<bpmn:endEvent id="e"/>'
             '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
             '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>\n')

BROKEN = {
    "external_entity": ('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                        + HEAD.split("\n", 1)[1] + "<bpmn:documentation>&x;</bpmn:documentation>" + TAIL,
                        "DOCTYPE"),
    "billion_laughs": ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                       '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                       '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
                       + HEAD.split("\n", 1)[1] + TAIL, "实体"),
    "no_start": (doc(TASK + '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f" sourceRef="t" targetRef="e"/>'),
                 "开始事件"),
    "unreachable_end": (doc('<bpmn:startEvent id="s"/>' + TASK + '<bpmn:userTask id="loop" name="循环" '
                            'camunda:candidateGroups="handle" sunhall:timeLimit="1"/><bpmn:endEvent id="e"/>'
                            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
                            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="loop"/>'
                            '<bpmn:sequenceFlow id="f3" sourceRef="loop" targetRef="t"/>'), "无法到达"),
    "task_without_post": (LINEAR.replace(' camunda:candidateGroups="handle"', ""), "办理岗位"),
    "branch_without_condition": (gateway(cond_no=None), "既没有条件"),
    "unsupported_element": (LINEAR.replace('<bpmn:userTask id="t" name="审查" camunda:candidateGroups="handle" '
                                           'sunhall:timeLimit="5"/>', '<bpmn:serviceTask id="t" name="调用接口"/>'),
                            "服务任务"),
    "subclasses_escape": (gateway(cond_yes="().__class__.__base__.__subclasses__()"), "__"),
    "import_escape": (gateway(cond_yes="__import__('os').system('id')"), "__import__"),
    "open_escape": (gateway(cond_yes="open('/etc/passwd').read()"), "open"),
}
