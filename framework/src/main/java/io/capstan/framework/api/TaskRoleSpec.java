package io.capstan.framework.api;

/** One role: {@code taskNumber} tasks (index 0..taskNumber-1) built from the same task template. */
public class TaskRoleSpec {

    private String name;
    private int taskNumber;
    private CompletionPolicySpec frameworkAttemptCompletionPolicy = new CompletionPolicySpec();
    private TaskSpec task = new TaskSpec();

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public int getTaskNumber() {
        return taskNumber;
    }

    public void setTaskNumber(int taskNumber) {
        this.taskNumber = taskNumber;
    }

    public CompletionPolicySpec getFrameworkAttemptCompletionPolicy() {
        return frameworkAttemptCompletionPolicy;
    }

    public void setFrameworkAttemptCompletionPolicy(CompletionPolicySpec policy) {
        this.frameworkAttemptCompletionPolicy = policy == null ? new CompletionPolicySpec() : policy;
    }

    public TaskSpec getTask() {
        return task;
    }

    public void setTask(TaskSpec task) {
        this.task = task == null ? new TaskSpec() : task;
    }
}
